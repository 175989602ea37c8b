"""The file to hand ``spark-submit``: it runs ``gio-studio`` on the driver.

spark-submit runs a Python *file*, while ``gio_core/cli/`` uses relative imports; this file imports the
installed package instead. Print its path with ``python -m gio_core.spark_submit``::

    spark-submit --master yarn --conf spark.driver.memory=16g \\
        "$(python -m gio_core.spark_submit)" \\
        select --engine spark --pool hdfs:///pool/ --target target.parquet --vector-column embedding \\
        --clusters 1500 --out hdfs:///out/selection.parquet

Without ``--spark-master`` the session is the one spark-submit configured.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    if __spec__ is not None and __spec__.name == "gio_core.spark_submit":  # python -m: print the path
        print(Path(__file__).resolve())
        sys.exit(0)
    from gio_core.cli import main

    sys.exit(main())
