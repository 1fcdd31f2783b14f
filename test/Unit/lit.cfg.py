# -*- Python -*-
# Runs the GoogleTest binaries as part of check-braid.
import os

import lit.formats

config.name = "BRAID-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.braid_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
