"""Reading what the user gives: paths, folders and list files, split bundles, and zips opened within limits."""
