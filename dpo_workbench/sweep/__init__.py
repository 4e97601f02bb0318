"""The deep sweep: every text of every table and file store, searched for one person.

- :mod:`.rules`: what counts as a mention (e-mail, phone digits, name), exactly;
- :mod:`.sql`: the cheap SQL prefilter that every mention passes, per engine;
- :mod:`.tables`: every table of every database, one thread per database;
- :mod:`.stores`: the text-like files of every file store;
- :mod:`.model`: mentions, the sweep's result and its part of a receipt;
- :mod:`.sweeps`: the sweep of an installation, after an erasure or on its own;
- :mod:`.redact`: mention-only redaction (plan, token, one transaction per database);
- :mod:`.service` and :mod:`.methods`: the workbench's face of all this.

The entry points are :meth:`Workbench.deep_sweep
<dpo_workbench.workbench.Workbench.deep_sweep>`, :meth:`Workbench.redact_mentions
<dpo_workbench.workbench.Workbench.redact_mentions>` and :meth:`Workbench.redact
<dpo_workbench.workbench.Workbench.redact>`; an erasure with criteria runs the
sweep as part of its verification. This package imports none of its modules.
"""
