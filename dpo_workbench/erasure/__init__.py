"""Guarded erasure: plan (dry run) -> confirm with the plan's token -> execute -> verify.

- :mod:`.strategies`: what erasure does to a column (the datamap names them);
- :mod:`.plan`: the dry run, every row and file an erasure changes, and its token;
- :mod:`.journal`: the durable record of each run, database by database;
- :mod:`.execute`: one transaction per database, files after commit, resumable;
- :mod:`.verify`: the data is gone; the receipt says so without holding it.

The public entry points are :meth:`Workbench.plan_erasure
<dpo_workbench.workbench.Workbench.plan_erasure>`, :meth:`Workbench.erase
<dpo_workbench.workbench.Workbench.erase>` and :meth:`Workbench.resume_erasure
<dpo_workbench.workbench.Workbench.resume_erasure>`. This package imports none
of its modules, so that the datamap can name strategies without importing the
erasure machinery.
"""
