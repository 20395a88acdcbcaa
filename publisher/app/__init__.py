"""App: what people run. ``cli`` (the only place that prints), ``serve`` (the live preview),
``daemon`` (the build server), ``scaffold`` (new projects and messages).
"""
