"""cnnlab: graded CNN assignments (NumPy, TensorFlow/Keras) and the autograder that grades them.

Importing `cnnlab` is cheap on purpose: the grader's child processes import it before any
student code runs, so nothing heavy (TensorFlow, matplotlib) is imported here.
"""

__version__ = "0.1.0"
