"""Instructor-only folders: reference solutions and hidden tests, one subfolder per assignment.

Never visible to student code: the grader runs the reference in its own process only.
"""
