# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the hacluster.drbd collection
"""Stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test fetches its get-pip script from a host that is not a package
registry; this machine reaches only the registries.  ansible-test runs the
script with pip's install arguments (e.g. `--disable-pip-version-check
--no-setuptools --no-wheel pip==24.2`).  We bootstrap the pip wheel that ships
with Python (ensurepip) and let that pip install what was asked from PyPI.
"""

import subprocess
import sys

# Options only the real get-pip understands; pip itself would reject them.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

# In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null in the
# process that runs it, which would hide the host's pip configuration (its CA
# bundle, for one) from the install below.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
