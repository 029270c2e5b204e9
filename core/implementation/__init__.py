"""Implementation and evaluation (跟踪落实, 评议): tasks, progress, supervision, ratings."""
