"""``python -m dpo_workbench.web``: the dashboard's web server (started by ``serve``)."""

from .app import main

if __name__ == "__main__":
    main()
