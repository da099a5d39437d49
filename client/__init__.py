"""KBNN Client: prepare, sign and submit payment dossiers to the State Treasury.

The core (everything under ``client`` except ``client.ui``) imports no Qt.
"""

__version__ = "0.1.0"
