"""Getting apps from stores: F-Droid repositories (signed index) and AndroZoo (its download API).

One module per job: ``release`` (what a store offers), ``download`` (the shared resumable, verified,
rate-limited downloader), ``fdroid`` (the signed index), ``select`` (which apps), ``androzoo`` (its list
and API), ``manifest`` (``fetched.json``, the record beside the downloads), ``run`` (many downloads, one
result each). httpx is imported here and in ``signatures/update.py`` only.
"""
