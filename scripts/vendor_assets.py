"""Vendor the front-end packages AMAL ships: Bootstrap Italia (the Designers
Italia UI kit, served from ``core/amal/static/vendor/``) and axe-core (used by
the accessibility tests only, kept in ``tests/vendor/``).

Each package is pinned to one version and its npm tarball checked against the
registry's published SHA-512 integrity before anything is extracted, so running
this script again reproduces the committed files byte for byte. Nothing is
fetched at run time: the web app serves only what is committed.

    python scripts/vendor_assets.py          # fetch, check, extract
    python scripts/vendor_assets.py --check  # verify the committed files (no network)

The check mode compares every committed file with ``MANIFEST.sha256`` written
beside it (tests/test_design.py runs it).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the npm registry's "dist.integrity" (SRI, sha512)
    target: Path
    # (path in the tarball under package/, path under target); fonts by prefix.
    files: tuple[tuple[str, str], ...]

    @property
    def url(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name}-{self.version}.tgz"


# Only the web fonts' woff2 files: every browser AMAL supports reads them.
FONT_PREFIXES = ("dist/fonts/Titillium_Web/", "dist/fonts/Lora/", "dist/fonts/Roboto_Mono/")

PACKAGES = (
    Package(
        name="bootstrap-italia",
        version="2.18.3",
        integrity="sha512-dz4kNtcAYJF4OsWABT9m3CAT3NH5y6OzGG+v/VUGH1LjumIUmlP3GaQ+aHgtv5Vw3B5dS0jbHZiHGSfdu+DffA==",
        target=ROOT / "core" / "amal" / "static" / "vendor" / "bootstrap-italia",
        files=(
            ("LICENSE", "LICENSE"),
            ("dist/css/bootstrap-italia.min.css", "css/bootstrap-italia.min.css"),
            ("dist/js/bootstrap-italia.bundle.min.js", "js/bootstrap-italia.bundle.min.js"),
            ("dist/svg/sprites.svg", "svg/sprites.svg"),
        ),
    ),
    Package(
        name="axe-core",
        version="4.14.1",
        integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        target=ROOT / "tests" / "vendor" / "axe-core",
        files=(
            ("LICENSE", "LICENSE"),
            ("LICENSE-3RD-PARTY.txt", "LICENSE-3RD-PARTY.txt"),
            ("axe.min.js", "axe.min.js"),
        ),
    ),
)


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"integrity mismatch: expected {integrity}, got {algorithm}-{actual}")


def wanted(package: Package, member: str) -> str | None:
    """Where a tarball member goes under the package's target, or None."""
    inner = member.removeprefix("package/")
    for source, destination in package.files:
        if inner == source:
            return destination
    font = package.name == "bootstrap-italia" and inner.startswith(FONT_PREFIXES)
    if font and inner.endswith((".woff2", ".txt")):
        return inner.removeprefix("dist/")
    return None


def manifest_lines(target: Path) -> list[str]:
    lines = []
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        relative = path.relative_to(target).as_posix()
        if relative != "MANIFEST.sha256":
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {relative}")
    return lines


def vendor(package: Package) -> None:
    with urllib.request.urlopen(package.url, timeout=60) as response:
        data = response.read()
    check_integrity(data, package.integrity)
    written = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            destination = wanted(package, member.name) if member.isfile() else None
            if destination is None:
                continue
            path = package.target / destination
            path.parent.mkdir(parents=True, exist_ok=True)
            extracted = archive.extractfile(member)
            assert extracted is not None
            path.write_bytes(extracted.read())
            written += 1
    header = f"# {package.name} {package.version} {package.integrity}"
    (package.target / "MANIFEST.sha256").write_text(
        "\n".join([header, *manifest_lines(package.target)]) + "\n", encoding="utf-8"
    )
    where = package.target.relative_to(ROOT)
    print(f"{package.name} {package.version}: {written} files in {where}")


def check(package: Package) -> list[str]:
    """Differences between the committed files and their manifest."""
    manifest = package.target / "MANIFEST.sha256"
    if not manifest.exists():
        return [f"{package.name}: {manifest} missing (run scripts/vendor_assets.py)"]
    header, *recorded = manifest.read_text(encoding="utf-8").splitlines()
    problems = []
    if header != f"# {package.name} {package.version} {package.integrity}":
        problems.append(f"{package.name}: manifest is for {header!r}, pinned {package.version}")
    if recorded != manifest_lines(package.target):
        problems.append(f"{package.name}: files differ from {manifest}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify, no network")
    args = parser.parse_args(argv)
    if args.check:
        problems = [p for package in PACKAGES for p in check(package)]
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for package in PACKAGES:
        vendor(package)
    return 0


if __name__ == "__main__":
    sys.exit(main())
