"""axe-core is a development package: the production image's front-end stage leaves it out."""

import json
import re

from tests.accessibility.axe import ROOT


def test_the_image_installs_no_development_package():
    package = json.loads((ROOT / "frontend" / "package.json").read_text())
    assert "axe-core" in package["devDependencies"]
    assert "axe-core" not in package.get("dependencies", {})
    installs = re.findall(r"^RUN npm (.*)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert installs, "the Dockerfile installs no front-end package"
    assert all(words.startswith("ci --omit=dev ") for words in installs), installs
