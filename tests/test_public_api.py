"""The public surface is exactly what __all__ says."""

import derivcheck as dc


def test_all_names_are_exported_and_nothing_private_leaks():
    public = {n for n in dir(dc) if not n.startswith(("_", "@"))}
    assert set(dc.__all__) <= public
    assert set(dc.__all__) == public - {"cli", "pytest_plugin", "strategies"}


def test_a_name_outside_all_is_not_part_of_the_surface():
    assert "run_claim" not in dc.__all__
    assert not hasattr(dc, "run_claim")
