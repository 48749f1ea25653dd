"""Permission findings: classification, possibly excessive, API without its permission."""

from __future__ import annotations

from tests.detectors.conftest import audit_of


def _by_rule(fixture: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in audit_of(fixture).hits:
        if f.rule_id.startswith(("permission.", "api.")):
            out.setdefault(f.rule_id, set()).add(f.evidence[0].symbol)
    return out


def test_sdks_permissions() -> None:
    found = _by_rule("sdks.apk")
    assert found["permission.dangerous"] == {
        "android.permission.READ_PHONE_STATE", "android.permission.ACCESS_FINE_LOCATION",
        "android.permission.READ_CONTACTS", "android.permission.WRITE_EXTERNAL_STORAGE"}
    assert found["permission.query_all_packages"] == {"android.permission.QUERY_ALL_PACKAGES"}
    # READ_CONTACTS: no contacts API is called anywhere
    assert "android.permission.READ_CONTACTS" in found["permission.possibly_excessive"]
    assert "android.permission.READ_PHONE_STATE" not in found["permission.possibly_excessive"]
    # the app's own signature permission is not a system-only permission
    assert "permission.privileged" not in found


def test_api_without_permission() -> None:
    found = _by_rule("preconsent.apk")
    missing = {(e.path, e.symbol) for f in audit_of("preconsent.apk").hits
               if f.rule_id == "api.missing_permission" for e in f.evidence}
    # targetSdk 33 without QUERY_ALL_PACKAGES: getInstalledPackages sees only visible packages;
    # getDeviceId needs a privileged permission from API 29 on
    assert missing == {
        ("Lorg/appaudit/fixture/preconsent/InitProvider;->onCreate()Z",
         "Landroid/content/pm/PackageManager;->getInstalledPackages(I)Ljava/util/List;"),
        ("Lorg/appaudit/fixture/preconsent/DeviceInfo;->collect(Landroid/content/Context;)Ljava/lang/String;",
         "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"),
    }
    assert "permission.possibly_excessive" not in found or \
        "android.permission.READ_PHONE_STATE" not in found["permission.possibly_excessive"]


def test_clean_app_has_no_permission_findings() -> None:
    assert _by_rule("clean.apk") == {}
