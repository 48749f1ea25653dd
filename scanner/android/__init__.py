"""What Android sees of an APK: the manifest as the package manager reads it, resources, signing, network config.

Read by our own parsers, checked against Android's tools (aapt, apksigner) in the tests.
"""
