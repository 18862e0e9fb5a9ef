"""Hypothesis profiles for JAX-heavy tests, chosen by HYPOTHESIS_PROFILE.

JAX compiles on the first example of a new shape, so deadlines are off.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=10, deadline=None)
settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
