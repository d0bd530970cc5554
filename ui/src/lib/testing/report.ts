// The evaluator report of the demo project (`fare-lens demo`, then `fare-lens report --json`),
// typed as the generated `Report`: a change of the Rust types that the UI does not follow fails
// the type check here.
import type { Report } from "../api/generated/Report";

export const demoReport: Report = {
  "runs": {
    "pairwise": 2,
    "step-level": 1,
    "reference-free": 3,
    "reference-based": 4,
    "rating": 5
  },
  "groups": [
    {
      "task": "pairwise",
      "dataset": "pairwise",
      "source": null,
      "samples": 26,
      "judged": 26,
      "with_gold": 26,
      "accepted": 0,
      "corrected": 0,
      "pairwise": {
        "n": 26,
        "n_with_swap": 22,
        "accuracy_original": 0.8461538461538461,
        "accuracy_swapped": 0.7727272727272727,
        "consistent_accuracy": 0.7272727272727273,
        "consistency": 0.8181818181818182,
        "flips": 3,
        "first_position_share": 0.5531914893617021,
        "n_failed": 1
      }
    },
    {
      "task": "pairwise",
      "dataset": "pairwise",
      "source": "demo-code",
      "samples": 6,
      "judged": 6,
      "with_gold": 6,
      "accepted": 0,
      "corrected": 0,
      "pairwise": {
        "n": 6,
        "n_with_swap": 5,
        "accuracy_original": 1.0,
        "accuracy_swapped": 0.8,
        "consistent_accuracy": 0.8,
        "consistency": 0.8,
        "flips": 1,
        "first_position_share": 0.5454545454545454,
        "n_failed": 0
      }
    },
    {
      "task": "pairwise",
      "dataset": "pairwise",
      "source": "demo-math",
      "samples": 12,
      "judged": 12,
      "with_gold": 12,
      "accepted": 0,
      "corrected": 0,
      "pairwise": {
        "n": 12,
        "n_with_swap": 10,
        "accuracy_original": 0.75,
        "accuracy_swapped": 0.9,
        "consistent_accuracy": 0.8,
        "consistency": 0.9,
        "flips": 1,
        "first_position_share": 0.5454545454545454,
        "n_failed": 0
      }
    },
    {
      "task": "pairwise",
      "dataset": "pairwise",
      "source": "demo-reasoning",
      "samples": 5,
      "judged": 5,
      "with_gold": 5,
      "accepted": 0,
      "corrected": 0,
      "pairwise": {
        "n": 5,
        "n_with_swap": 4,
        "accuracy_original": 0.8,
        "accuracy_swapped": 0.5,
        "consistent_accuracy": 0.5,
        "consistency": 0.75,
        "flips": 1,
        "first_position_share": 0.5555555555555556,
        "n_failed": 0
      }
    },
    {
      "task": "pairwise",
      "dataset": "pairwise",
      "source": "demo-writing",
      "samples": 3,
      "judged": 3,
      "with_gold": 3,
      "accepted": 0,
      "corrected": 0,
      "pairwise": {
        "n": 3,
        "n_with_swap": 3,
        "accuracy_original": 1.0,
        "accuracy_swapped": 0.6666666666666666,
        "consistent_accuracy": 0.6666666666666666,
        "consistency": 0.6666666666666666,
        "flips": 0,
        "first_position_share": 0.6,
        "n_failed": 1
      }
    },
    {
      "task": "step-level",
      "dataset": "step-level",
      "source": null,
      "samples": 28,
      "judged": 28,
      "with_gold": 28,
      "accepted": 0,
      "corrected": 0,
      "processbench": {
        "n_erroneous": 14,
        "n_correct": 14,
        "error_accuracy": 0.5714285714285714,
        "correct_accuracy": 0.7857142857142857,
        "f1": 0.6616541353383457,
        "n_failed": 2
      },
      "first_error": {
        "grid": [
          {
            "gold": null,
            "predicted": {
              "value": null
            },
            "count": 11
          },
          {
            "gold": null,
            "predicted": {
              "value": 1
            },
            "count": 1
          },
          {
            "gold": null,
            "predicted": {
              "value": 2
            },
            "count": 1
          },
          {
            "gold": null,
            "predicted": "failed",
            "count": 1
          },
          {
            "gold": 0,
            "predicted": {
              "value": 0
            },
            "count": 2
          },
          {
            "gold": 1,
            "predicted": {
              "value": null
            },
            "count": 1
          },
          {
            "gold": 1,
            "predicted": {
              "value": 0
            },
            "count": 1
          },
          {
            "gold": 1,
            "predicted": {
              "value": 1
            },
            "count": 3
          },
          {
            "gold": 1,
            "predicted": {
              "value": 2
            },
            "count": 1
          },
          {
            "gold": 2,
            "predicted": {
              "value": null
            },
            "count": 1
          },
          {
            "gold": 2,
            "predicted": {
              "value": 1
            },
            "count": 1
          },
          {
            "gold": 2,
            "predicted": {
              "value": 2
            },
            "count": 1
          },
          {
            "gold": 3,
            "predicted": {
              "value": 3
            },
            "count": 1
          },
          {
            "gold": 3,
            "predicted": "failed",
            "count": 1
          },
          {
            "gold": 31,
            "predicted": {
              "value": 31
            },
            "count": 1
          }
        ],
        "buckets": {
          "exact": 8,
          "early": 2,
          "late": 1,
          "missed_error": 2,
          "false_alarm": 2,
          "correct_no_error": 11,
          "failed": 2
        },
        "offsets": [
          {
            "offset": -1,
            "count": 2
          },
          {
            "offset": 0,
            "count": 8
          },
          {
            "offset": 1,
            "count": 1
          }
        ],
        "gold_positions": [
          2,
          0,
          0,
          6,
          0,
          2,
          1,
          3,
          0,
          0
        ],
        "predicted_positions": [
          3,
          0,
          1,
          4,
          0,
          1,
          2,
          2,
          0,
          0
        ]
      }
    },
    {
      "task": "reference-free",
      "dataset": "reference-free",
      "source": null,
      "samples": 26,
      "judged": 26,
      "with_gold": 26,
      "accepted": 0,
      "corrected": 0,
      "verification": {
        "n": 26,
        "accuracy": 0.8461538461538461,
        "precision": 0.9090909090909091,
        "recall": 0.8333333333333334,
        "f1": 0.8695652173913043,
        "correct_precision": 0.8571428571428571,
        "correct_recall": 0.8571428571428571,
        "correct_f1": 0.8571428571428571,
        "macro_f1": 0.8633540372670807,
        "confusion": {
          "gold_correct": {
            "correct": 12,
            "incorrect": 1,
            "failed": 1
          },
          "gold_incorrect": {
            "correct": 2,
            "incorrect": 10,
            "failed": 0
          }
        },
        "n_failed": 1
      }
    },
    {
      "task": "reference-based",
      "dataset": "reference-based",
      "source": null,
      "samples": 26,
      "judged": 26,
      "with_gold": 26,
      "accepted": 0,
      "corrected": 0,
      "mean_agreement": 0.8333333333333333,
      "verification": {
        "n": 26,
        "accuracy": 0.8846153846153846,
        "precision": 0.9166666666666666,
        "recall": 0.8461538461538461,
        "f1": 0.88,
        "correct_precision": 0.8571428571428571,
        "correct_recall": 0.9230769230769231,
        "correct_f1": 0.8888888888888888,
        "macro_f1": 0.8844444444444444,
        "confusion": {
          "gold_correct": {
            "correct": 12,
            "incorrect": 1,
            "failed": 0
          },
          "gold_incorrect": {
            "correct": 2,
            "incorrect": 11,
            "failed": 0
          }
        },
        "n_failed": 0
      }
    },
    {
      "task": "reference-based",
      "dataset": "reference-based",
      "source": "demo_model_a",
      "samples": 13,
      "judged": 13,
      "with_gold": 13,
      "accepted": 0,
      "corrected": 0,
      "mean_agreement": 0.8333333333333333,
      "verification": {
        "n": 13,
        "accuracy": 0.9230769230769231,
        "precision": 0.6666666666666666,
        "recall": 1.0,
        "f1": 0.8,
        "correct_precision": 1.0,
        "correct_recall": 0.9090909090909091,
        "correct_f1": 0.9523809523809523,
        "macro_f1": 0.8761904761904762,
        "confusion": {
          "gold_correct": {
            "correct": 10,
            "incorrect": 1,
            "failed": 0
          },
          "gold_incorrect": {
            "correct": 0,
            "incorrect": 2,
            "failed": 0
          }
        },
        "n_failed": 0
      }
    },
    {
      "task": "reference-based",
      "dataset": "reference-based",
      "source": "demo_model_b",
      "samples": 13,
      "judged": 13,
      "with_gold": 13,
      "accepted": 0,
      "corrected": 0,
      "mean_agreement": 0.8333333333333333,
      "verification": {
        "n": 13,
        "accuracy": 0.8461538461538461,
        "precision": 1.0,
        "recall": 0.8181818181818182,
        "f1": 0.9,
        "correct_precision": 0.5,
        "correct_recall": 1.0,
        "correct_f1": 0.6666666666666666,
        "macro_f1": 0.7833333333333333,
        "confusion": {
          "gold_correct": {
            "correct": 2,
            "incorrect": 0,
            "failed": 0
          },
          "gold_incorrect": {
            "correct": 2,
            "incorrect": 9,
            "failed": 0
          }
        },
        "n_failed": 0
      }
    },
    {
      "task": "rating",
      "dataset": "rating",
      "source": null,
      "samples": 26,
      "judged": 26,
      "with_gold": 26,
      "accepted": 0,
      "corrected": 0,
      "rating": {
        "n": 26,
        "n_failed": 1,
        "mae": 0.72,
        "spearman": 0.9613164430713237,
        "pearson": 0.9165885838639493,
        "exact_agreement": 0.6153846153846154
      }
    }
  ],
  "processbench_mean_f1": 0.6616541353383457
};
