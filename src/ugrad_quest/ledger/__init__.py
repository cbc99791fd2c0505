"""The shareable record of a learner's progress: source snapshots, the hash-chained event log, the bundle.

Pure data and file handling: nothing here opens the store or runs learner code.
"""
