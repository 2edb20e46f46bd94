"""Teaching functional tokens to a small model: training data and scoring.

``data`` makes query/call examples from a function set (templates for the Android set, a
generic generator for any other, plus a user's own examples); ``evaluate`` scores a model
on such lines. Nothing here needs torch: training itself lives elsewhere.
"""
