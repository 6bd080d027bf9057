"""MLflow logging of runs, with their artifacts and plots."""
