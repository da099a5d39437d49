"""The CLI's commands, one module per area; each registers its sub-commands.

``client.cli`` assembles them. A command parses its arguments, calls one
core function and prints; the logic lives in the core.
"""
