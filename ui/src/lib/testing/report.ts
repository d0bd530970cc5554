// The evaluator report of the demo project (`fare-lens demo`, then `fare-lens report --json`),
// typed as the generated `Report`: a change of the Rust types that the UI does not follow fails
// the type check here.
import type { Analysis as Report } from "../api/generated/Analysis";

export const demoReport: Report = {
  "runs": {
    "pairwise": 2,
    "step-level": 1,
    "reference-free": 3,
    "reference-based": 4,
    "rating": 5
  },
  "human_reference": "adjudicated",
  "groups": [
    {
      "task": "pairwise",
      "dataset_id": 2,
      "dataset": "pairwise",
      "source": null,
      "samples": 26,
      "judged": 26,
      "with_gold": 26,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 26,
        "processbench": null,
        "step": null,
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
        },
        "pair": {
          "orders": [
            {
              "key": "order:original:right",
              "count": 22
            },
            {
              "key": "order:original:wrong",
              "count": 4
            },
            {
              "key": "order:swapped:right",
              "count": 17
            },
            {
              "key": "order:swapped:wrong",
              "count": 4
            },
            {
              "key": "order:swapped:failed",
              "count": 1
            }
          ],
          "flips": [
            {
              "sample_id": 46,
              "original": "A",
              "swapped": "B"
            },
            {
              "sample_id": 47,
              "original": "A",
              "swapped": "B"
            },
            {
              "sample_id": 45,
              "original": "A",
              "swapped": "B"
            }
          ],
          "length": {
            "n": 24,
            "picked_longer": 17,
            "longer_share": 0.7083333333333334,
            "n_reference_longer": 15,
            "accuracy_reference_longer": 0.9333333333333333,
            "n_reference_shorter": 9,
            "accuracy_reference_shorter": 0.6666666666666666
          },
          "length_cells": [
            {
              "key": "length:picked-longer",
              "count": 17
            },
            {
              "key": "length:picked-shorter",
              "count": 7
            }
          ]
        },
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 3
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "pairwise",
      "dataset_id": 2,
      "dataset": "pairwise",
      "source": "demo-math",
      "samples": 12,
      "judged": 12,
      "with_gold": 12,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 12,
        "processbench": null,
        "step": null,
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
        },
        "pair": {
          "orders": [
            {
              "key": "order:original:right",
              "count": 9
            },
            {
              "key": "order:original:wrong",
              "count": 3
            },
            {
              "key": "order:swapped:right",
              "count": 9
            },
            {
              "key": "order:swapped:wrong",
              "count": 1
            }
          ],
          "flips": [
            {
              "sample_id": 46,
              "original": "A",
              "swapped": "B"
            }
          ],
          "length": {
            "n": 11,
            "picked_longer": 7,
            "longer_share": 0.6363636363636364,
            "n_reference_longer": 6,
            "accuracy_reference_longer": 0.8333333333333334,
            "n_reference_shorter": 5,
            "accuracy_reference_shorter": 0.6
          },
          "length_cells": [
            {
              "key": "length:picked-longer",
              "count": 7
            },
            {
              "key": "length:picked-shorter",
              "count": 4
            }
          ]
        },
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 1
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "pairwise",
      "dataset_id": 2,
      "dataset": "pairwise",
      "source": "demo-code",
      "samples": 6,
      "judged": 6,
      "with_gold": 6,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 6,
        "processbench": null,
        "step": null,
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
        },
        "pair": {
          "orders": [
            {
              "key": "order:original:right",
              "count": 6
            },
            {
              "key": "order:swapped:right",
              "count": 4
            },
            {
              "key": "order:swapped:wrong",
              "count": 1
            }
          ],
          "flips": [
            {
              "sample_id": 47,
              "original": "A",
              "swapped": "B"
            }
          ],
          "length": {
            "n": 6,
            "picked_longer": 4,
            "longer_share": 0.6666666666666666,
            "n_reference_longer": 4,
            "accuracy_reference_longer": 1.0,
            "n_reference_shorter": 2,
            "accuracy_reference_shorter": 1.0
          },
          "length_cells": [
            {
              "key": "length:picked-longer",
              "count": 4
            },
            {
              "key": "length:picked-shorter",
              "count": 2
            }
          ]
        },
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 1
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "pairwise",
      "dataset_id": 2,
      "dataset": "pairwise",
      "source": "demo-reasoning",
      "samples": 5,
      "judged": 5,
      "with_gold": 5,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 5,
        "processbench": null,
        "step": null,
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
        },
        "pair": {
          "orders": [
            {
              "key": "order:original:right",
              "count": 4
            },
            {
              "key": "order:original:wrong",
              "count": 1
            },
            {
              "key": "order:swapped:right",
              "count": 2
            },
            {
              "key": "order:swapped:wrong",
              "count": 2
            }
          ],
          "flips": [
            {
              "sample_id": 45,
              "original": "A",
              "swapped": "B"
            }
          ],
          "length": {
            "n": 5,
            "picked_longer": 4,
            "longer_share": 0.8,
            "n_reference_longer": 3,
            "accuracy_reference_longer": 1.0,
            "n_reference_shorter": 2,
            "accuracy_reference_shorter": 0.5
          },
          "length_cells": [
            {
              "key": "length:picked-longer",
              "count": 4
            },
            {
              "key": "length:picked-shorter",
              "count": 1
            }
          ]
        },
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 1
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "pairwise",
      "dataset_id": 2,
      "dataset": "pairwise",
      "source": "demo-writing",
      "samples": 3,
      "judged": 3,
      "with_gold": 3,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 3,
        "processbench": null,
        "step": null,
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
        },
        "pair": {
          "orders": [
            {
              "key": "order:original:right",
              "count": 3
            },
            {
              "key": "order:swapped:right",
              "count": 2
            },
            {
              "key": "order:swapped:failed",
              "count": 1
            }
          ],
          "flips": [],
          "length": {
            "n": 2,
            "picked_longer": 2,
            "longer_share": 1.0,
            "n_reference_longer": 2,
            "accuracy_reference_longer": 1.0,
            "n_reference_shorter": 0,
            "accuracy_reference_shorter": null
          },
          "length_cells": [
            {
              "key": "length:picked-longer",
              "count": 2
            },
            {
              "key": "length:picked-shorter",
              "count": 0
            }
          ]
        },
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 0
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:position-bias",
            "tag": "position-bias",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "step-level",
      "dataset_id": 1,
      "dataset": "step-level",
      "source": null,
      "samples": 28,
      "judged": 28,
      "with_gold": 28,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 28,
        "processbench": {
          "n_erroneous": 14,
          "n_correct": 14,
          "error_accuracy": 0.5714285714285714,
          "correct_accuracy": 0.7857142857142857,
          "f1": 0.6616541353383457,
          "n_failed": 2
        },
        "step": {
          "grid": [
            {
              "key": "first-error:pred=-1:gold=-1",
              "gold": -1,
              "predicted": -1,
              "count": 11
            },
            {
              "key": "first-error:pred=-1:gold=1",
              "gold": 1,
              "predicted": -1,
              "count": 1
            },
            {
              "key": "first-error:pred=-1:gold=2",
              "gold": 2,
              "predicted": -1,
              "count": 1
            },
            {
              "key": "first-error:pred=0:gold=0",
              "gold": 0,
              "predicted": 0,
              "count": 2
            },
            {
              "key": "first-error:pred=0:gold=1",
              "gold": 1,
              "predicted": 0,
              "count": 1
            },
            {
              "key": "first-error:pred=1:gold=-1",
              "gold": -1,
              "predicted": 1,
              "count": 1
            },
            {
              "key": "first-error:pred=1:gold=1",
              "gold": 1,
              "predicted": 1,
              "count": 3
            },
            {
              "key": "first-error:pred=1:gold=2",
              "gold": 2,
              "predicted": 1,
              "count": 1
            },
            {
              "key": "first-error:pred=2:gold=-1",
              "gold": -1,
              "predicted": 2,
              "count": 1
            },
            {
              "key": "first-error:pred=2:gold=1",
              "gold": 1,
              "predicted": 2,
              "count": 1
            },
            {
              "key": "first-error:pred=2:gold=2",
              "gold": 2,
              "predicted": 2,
              "count": 1
            },
            {
              "key": "first-error:pred=3:gold=3",
              "gold": 3,
              "predicted": 3,
              "count": 1
            },
            {
              "key": "first-error:pred=31:gold=31",
              "gold": 31,
              "predicted": 31,
              "count": 1
            },
            {
              "key": "first-error:pred=failed:gold=-1",
              "gold": -1,
              "predicted": null,
              "count": 1
            },
            {
              "key": "first-error:pred=failed:gold=3",
              "gold": 3,
              "predicted": null,
              "count": 1
            }
          ],
          "positions": [
            {
              "key": "position:pred=-1:gold=-1",
              "gold": -1,
              "predicted": -1,
              "count": 11
            },
            {
              "key": "position:pred=-1:gold=3",
              "gold": 3,
              "predicted": -1,
              "count": 1
            },
            {
              "key": "position:pred=-1:gold=6",
              "gold": 6,
              "predicted": -1,
              "count": 1
            },
            {
              "key": "position:pred=0:gold=0",
              "gold": 0,
              "predicted": 0,
              "count": 2
            },
            {
              "key": "position:pred=0:gold=3",
              "gold": 3,
              "predicted": 0,
              "count": 1
            },
            {
              "key": "position:pred=2:gold=5",
              "gold": 5,
              "predicted": 2,
              "count": 1
            },
            {
              "key": "position:pred=3:gold=-1",
              "gold": -1,
              "predicted": 3,
              "count": 1
            },
            {
              "key": "position:pred=3:gold=3",
              "gold": 3,
              "predicted": 3,
              "count": 3
            },
            {
              "key": "position:pred=5:gold=5",
              "gold": 5,
              "predicted": 5,
              "count": 1
            },
            {
              "key": "position:pred=6:gold=-1",
              "gold": -1,
              "predicted": 6,
              "count": 1
            },
            {
              "key": "position:pred=6:gold=3",
              "gold": 3,
              "predicted": 6,
              "count": 1
            },
            {
              "key": "position:pred=7:gold=7",
              "gold": 7,
              "predicted": 7,
              "count": 2
            },
            {
              "key": "position:pred=failed:gold=-1",
              "gold": -1,
              "predicted": null,
              "count": 1
            },
            {
              "key": "position:pred=failed:gold=7",
              "gold": 7,
              "predicted": null,
              "count": 1
            }
          ],
          "offsets": [
            {
              "key": "offset:-1",
              "offset": -1,
              "count": 2
            },
            {
              "key": "offset:0",
              "offset": 0,
              "count": 8
            },
            {
              "key": "offset:1",
              "offset": 1,
              "count": 1
            }
          ],
          "buckets": [
            {
              "key": "bucket:exact",
              "bucket": "exact",
              "count": 8
            },
            {
              "key": "bucket:early",
              "bucket": "early",
              "count": 2
            },
            {
              "key": "bucket:late",
              "bucket": "late",
              "count": 1
            },
            {
              "key": "bucket:missed-error",
              "bucket": "missed-error",
              "count": 2
            },
            {
              "key": "bucket:false-alarm",
              "bucket": "false-alarm",
              "count": 2
            },
            {
              "key": "bucket:correct-no-error",
              "bucket": "correct-no-error",
              "count": 11
            },
            {
              "key": "bucket:failed",
              "bucket": "failed",
              "count": 2
            }
          ]
        },
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 1
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 2
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 2
          },
          {
            "key": "inferred:early-step",
            "tag": "early-step",
            "count": 2
          },
          {
            "key": "inferred:late-step",
            "tag": "late-step",
            "count": 1
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 1
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 0
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 0
          },
          {
            "key": "inferred:early-step",
            "tag": "early-step",
            "count": 0
          },
          {
            "key": "inferred:late-step",
            "tag": "late-step",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "reference-free",
      "dataset_id": 3,
      "dataset": "reference-free",
      "source": null,
      "samples": 26,
      "judged": 26,
      "with_gold": 26,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 26,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
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
        },
        "confusion": [
          {
            "key": "confusion:pred=correct:gold=correct",
            "gold": "correct",
            "predicted": "correct",
            "count": 12
          },
          {
            "key": "confusion:pred=correct:gold=incorrect",
            "gold": "incorrect",
            "predicted": "correct",
            "count": 2
          },
          {
            "key": "confusion:pred=incorrect:gold=correct",
            "gold": "correct",
            "predicted": "incorrect",
            "count": 1
          },
          {
            "key": "confusion:pred=incorrect:gold=incorrect",
            "gold": "incorrect",
            "predicted": "incorrect",
            "count": 10
          },
          {
            "key": "confusion:pred=failed:gold=correct",
            "gold": "correct",
            "predicted": null,
            "count": 1
          }
        ],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 2
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 1
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 0
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "reference-based",
      "dataset_id": 4,
      "dataset": "reference-based",
      "source": null,
      "samples": 26,
      "judged": 26,
      "with_gold": 26,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 26,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
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
        },
        "confusion": [
          {
            "key": "confusion:pred=correct:gold=correct",
            "gold": "correct",
            "predicted": "correct",
            "count": 12
          },
          {
            "key": "confusion:pred=correct:gold=incorrect",
            "gold": "incorrect",
            "predicted": "correct",
            "count": 2
          },
          {
            "key": "confusion:pred=incorrect:gold=correct",
            "gold": "correct",
            "predicted": "incorrect",
            "count": 1
          },
          {
            "key": "confusion:pred=incorrect:gold=incorrect",
            "gold": "incorrect",
            "predicted": "incorrect",
            "count": 11
          }
        ],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 2
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 1
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 0
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "reference-based",
      "dataset_id": 4,
      "dataset": "reference-based",
      "source": "demo_model_a",
      "samples": 13,
      "judged": 13,
      "with_gold": 13,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 13,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
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
        },
        "confusion": [
          {
            "key": "confusion:pred=correct:gold=correct",
            "gold": "correct",
            "predicted": "correct",
            "count": 10
          },
          {
            "key": "confusion:pred=incorrect:gold=correct",
            "gold": "correct",
            "predicted": "incorrect",
            "count": 1
          },
          {
            "key": "confusion:pred=incorrect:gold=incorrect",
            "gold": "incorrect",
            "predicted": "incorrect",
            "count": 2
          }
        ],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 0
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 1
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 0
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "reference-based",
      "dataset_id": 4,
      "dataset": "reference-based",
      "source": "demo_model_b",
      "samples": 13,
      "judged": 13,
      "with_gold": 13,
      "with_human": 0,
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
      },
      "gold": {
        "reference": "gold",
        "scored": 13,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
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
        },
        "confusion": [
          {
            "key": "confusion:pred=correct:gold=correct",
            "gold": "correct",
            "predicted": "correct",
            "count": 2
          },
          {
            "key": "confusion:pred=correct:gold=incorrect",
            "gold": "incorrect",
            "predicted": "correct",
            "count": 2
          },
          {
            "key": "confusion:pred=incorrect:gold=incorrect",
            "gold": "incorrect",
            "predicted": "incorrect",
            "count": 9
          }
        ],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 2
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 0
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 0
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          },
          {
            "key": "inferred:missed-error",
            "tag": "missed-error",
            "count": 0
          },
          {
            "key": "inferred:false-alarm",
            "tag": "false-alarm",
            "count": 0
          }
        ]
      },
      "tags": []
    },
    {
      "task": "rating",
      "dataset_id": 5,
      "dataset": "rating",
      "source": null,
      "samples": 26,
      "judged": 26,
      "with_gold": 26,
      "with_human": 0,
      "accepted": 0,
      "corrected": 0,
      "rating": {
        "n": 26,
        "n_failed": 1,
        "mae": 0.72,
        "spearman": 0.9613164430713237,
        "pearson": 0.9165885838639496,
        "exact_agreement": 0.6153846153846154
      },
      "gold": {
        "reference": "gold",
        "scored": 26,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": {
          "n": 26,
          "n_failed": 1,
          "mae": 0.72,
          "spearman": 0.9613164430713237,
          "pearson": 0.9165885838639496,
          "exact_agreement": 0.6153846153846154
        },
        "rating_grid": [
          {
            "key": "rating:pred=1:gold=1",
            "gold": 1,
            "predicted": 1,
            "count": 4
          },
          {
            "key": "rating:pred=2:gold=2",
            "gold": 2,
            "predicted": 2,
            "count": 3
          },
          {
            "key": "rating:pred=3:gold=2",
            "gold": 2,
            "predicted": 3,
            "count": 1
          },
          {
            "key": "rating:pred=4:gold=5",
            "gold": 5,
            "predicted": 4,
            "count": 1
          },
          {
            "key": "rating:pred=6:gold=2",
            "gold": 2,
            "predicted": 6,
            "count": 2
          },
          {
            "key": "rating:pred=7:gold=7",
            "gold": 7,
            "predicted": 7,
            "count": 2
          },
          {
            "key": "rating:pred=7:gold=8",
            "gold": 8,
            "predicted": 7,
            "count": 1
          },
          {
            "key": "rating:pred=8:gold=4",
            "gold": 4,
            "predicted": 8,
            "count": 1
          },
          {
            "key": "rating:pred=8:gold=9",
            "gold": 9,
            "predicted": 8,
            "count": 2
          },
          {
            "key": "rating:pred=9:gold=9",
            "gold": 9,
            "predicted": 9,
            "count": 4
          },
          {
            "key": "rating:pred=9:gold=10",
            "gold": 10,
            "predicted": 9,
            "count": 1
          },
          {
            "key": "rating:pred=10:gold=10",
            "gold": 10,
            "predicted": 10,
            "count": 3
          },
          {
            "key": "rating:pred=failed:gold=10",
            "gold": 10,
            "predicted": null,
            "count": 1
          }
        ],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          }
        ]
      },
      "human": {
        "reference": "human",
        "scored": 0,
        "processbench": null,
        "step": null,
        "pairwise": null,
        "pair": null,
        "verification": null,
        "confusion": [],
        "rating": null,
        "rating_grid": [],
        "inferred": [
          {
            "key": "inferred:unparseable",
            "tag": "unparseable",
            "count": 1
          },
          {
            "key": "inferred:truncated",
            "tag": "truncated",
            "count": 0
          }
        ]
      },
      "tags": []
    }
  ],
  "processbench_mean_f1": 0.6616541353383457,
  "contradictions": {
    "traces_compared": 0,
    "high_rating": 9,
    "counts": [
      {
        "key": "contradiction:error-but-correct",
        "count": 0
      },
      {
        "key": "contradiction:error-but-high-rating",
        "count": 0
      },
      {
        "key": "contradiction:no-error-but-incorrect",
        "count": 0
      }
    ],
    "items": []
  }
};
