"""The grader core: generic machinery that knows nothing of any single assignment.

    registry  -> finds assignments/NAME + solutions/NAME/grading.py
    spec      -> how an assignment describes graded functions, cases, known mistakes
    submission-> .py / .ipynb -> importable source (notebook preprocessor steps)
    sandbox   -> runs student code in a child process with timeouts and limits
    child     -> the program that child process runs
    wire      -> the pickle-free JSON + .npz format between them
    compare   -> expected vs got, with student-readable messages
    grade     -> orchestration and points;  check -> public tests;  report -> outputs
"""
