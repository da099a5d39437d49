import sys

if len(sys.argv) == 3 and sys.argv[1] == "--probe-pkcs11":
    # the frozen build probes an unknown PKCS#11 module in a child of itself
    from client.signing.tokens import main as probe_main

    raise SystemExit(probe_main(["--probe", sys.argv[2]]))

from client.cli import main  # noqa: E402

raise SystemExit(main())
