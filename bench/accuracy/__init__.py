"""Accuracy set: real vendor SDKs in evaluation apps, with truth that does not come from appaudit.

``python -m accuracy`` (with ``bench`` on ``PYTHONPATH``; ``make accuracy`` does this) builds the apps
and scores appaudit on them. Modules, one job each: ``catalog`` (the pinned inputs), ``fetch``
(downloads), ``tools`` (the Android command-line tools and D8), ``unpack`` (jars, AARs and .so files out
of registry tarballs), ``firstparty`` (the apps' own code and manifest), ``apk`` (packaging and
signing), ``build`` (the cached pipeline), ``truth`` (class origin and PI call sites from dexdump),
``score`` (appaudit against the truth).
"""
