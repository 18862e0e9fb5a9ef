"""Proof-file texts shared by the CLI and audit tests."""

# Three claims; the second raises KeyboardInterrupt while it is traced.
INTERRUPTED = """
    import derivcheck as dc
    S = dc.Space(x=dc.real("D"))
    def f(x):
        return (x ** 2).sum()
    def stop(x):
        raise KeyboardInterrupt
    first = dc.gradient(f, lambda x: 2 * x, space=S, wrt="x")
    second = dc.gradient(f, stop, space=S, wrt="x")
    third = dc.gradient(f, lambda x: 2 * x, space=S, wrt="x")
"""
