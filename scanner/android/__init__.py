"""What Android sees of an APK: the manifest as the package manager reads it, resources, signing, network config.

androguard is imported here and nowhere else.
"""
