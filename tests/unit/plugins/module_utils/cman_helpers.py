# -*- coding: utf-8 -*-
# Copyright: Contributors to the hacluster.drbd collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validation of every cluster.conf the tests render against cman's real schema, with lxml.

The schema is the shared one of the project (../shared/schemas/cluster.rng next to the checkout; the path can be
set with HACLUSTER_SHARED_SCHEMAS). Where it is absent the copy the collection carries is used, which the tests
prove to be the same bytes wherever the shared one exists.
"""

from __future__ import annotations

import os

from lxml import etree

from ansible_collections.hacluster.drbd.plugins.module_utils.cman_schema import cluster_rng

SHARED_RNG = os.path.join(os.environ.get("HACLUSTER_SHARED_SCHEMAS", "/work/shared/schemas"), "cluster.rng")
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cman")


def shared_rng():
    """The shared schema's bytes, or None where it is not there."""
    if not os.path.exists(SHARED_RNG):
        return None
    with open(SHARED_RNG, "rb") as handle:
        return handle.read()


_SCHEMA = etree.RelaxNG(etree.fromstring(shared_rng() or cluster_rng()))


def schema_errors(text):
    doc = etree.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    if _SCHEMA.validate(doc):
        return []
    return [str(e) for e in _SCHEMA.error_log]


def assert_valid(text):
    errors = schema_errors(text)
    assert errors == [], "cluster.conf does not validate against cluster.rng:\n%s\n%s" % ("\n".join(errors), text)
