"""The command line: the only place that reads argv, prints to the console and picks exit codes."""
