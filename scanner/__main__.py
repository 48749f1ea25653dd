from scanner.cli.main import entry

raise SystemExit(entry())
