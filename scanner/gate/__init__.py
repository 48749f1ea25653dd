"""The release gate: policy files, baselines, build-to-build diffs, and which findings fail a build."""
