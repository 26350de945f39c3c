# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

# The lab fixtures (lab control from the controller) live beside the shared
# create/destroy playbooks, for every scenario to use.
pytest_plugins = ["labfixtures"]
