"""The dashboard's web server: log-on, sessions and guarded kernels in front of Voila.

See docs/dashboard.md ("How it is kept safe") for the design; the modules:

- :mod:`.sessions`: the log-on sessions, their cookies and XSRF tokens;
- :mod:`.gate`: the front door every request passes, ending sessions, the reaper;
- :mod:`.logon`: the log-on and log-off pages, Jupyter Server's identity provider;
- :mod:`.handlers`: the dashboard page and the guarded kernel websocket;
- :mod:`.guard`: what may pass that websocket in each direction;
- :mod:`.kernels`: the kernel manager (warm pool, caps, connections);
- :mod:`.app`: Voila with all of the above (``python -m dpo_workbench.web``).
"""
