"""Procedures (议事程序): the path a topic walks, declared as data.

A procedure is a frozen manifest of stages, steps and the actions allowed at
each step (who may take them, what must hold first, which timers start).
Plugins contribute procedures through ``yishi_procedures``; the core's
generic six steps are the default (``core.procedures.generic``). The engine
(``core.procedures.engine``) is pure: it reads a topic's state and answers
what may happen next, so the same declaration drives authorization, the API
and the UI.
"""
