"""The learner-side processes (the Python worker) and the protocol they speak; nothing here imports the judge, the oracle or the store."""
