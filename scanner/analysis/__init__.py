"""From an opened app to an ``Audit``: facts, code index, pre-consent reachability, detectors, result."""
