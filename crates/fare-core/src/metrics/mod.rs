//! Metrics of evaluator quality and human agreement (being written).
