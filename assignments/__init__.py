"""Student-facing assignment folders (templates, notebooks, public tests, harnesses).

Each subfolder is one assignment; it is data, not a package: the grader loads its files by path.
"""
