"""Connect to Ray quietly: join a running cluster, or start a local instance."""

import contextlib
import logging
import os

#: Ray loggers whose INFO chatter is kept from the user while molgen runs a job.
_RAY_LOGGERS = ("ray", "ray.data", "ray.train", "ray.tune")


def ensure_ray(address: str | None = None, *, num_cpus: int | None = None, num_gpus: int | None = None, log_to_driver: bool = False):
    """Initialise Ray once per process and return the ``ray`` module.

    Parameters
    ----------
    address : str, optional
        A cluster to join (``"auto"``, ``"ray://host:10001"``, ...). Without it, the
        ``RAY_ADDRESS`` variable (set by ``ray job submit``) is used, and failing that a
        local instance is started (no dashboard, workers' logs not echoed).
    num_cpus, num_gpus : int, optional
        Resources of a newly started local instance (default: what the machine has).
        Ignored when joining a cluster.
    log_to_driver : bool
        Echo workers' stdout/stderr here.

    Raises
    ------
    ConnectionError
        If ``address`` names a cluster that cannot be reached.
    """
    import ray

    if ray.is_initialized():
        return ray
    address = address or os.environ.get("RAY_ADDRESS") or None
    # Ray's C++ core logs routine notices at error level to the driver's stderr (e.g. that
    # Ray Data actors take constructor arguments from the object store); they stay in Ray's
    # log files. Set RAY_BACKEND_LOG_LEVEL yourself to see them.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    common = {"log_to_driver": log_to_driver, "logging_level": logging.ERROR, "configure_logging": True}
    if address:
        ray.init(address=address, **common)
    else:
        ray.init(num_cpus=num_cpus, num_gpus=num_gpus, include_dashboard=False, **common)
    return ray


@contextlib.contextmanager
def quiet_ray_data(*, timeout_s: float | None = None):
    """Ray Data settings for a molgen job: no Ray progress bars or start-up banners.

    molgen shows its own progress bar; Ray's operator bars and execution plan lines are
    turned off, and Ray's INFO log records are held back, for this block only.
    ``timeout_s`` fails a stalled execution after that many seconds without progress.
    """
    import warnings

    from ray.data import DataContext

    with warnings.catch_warnings():  # Ray's own defaults trip its deprecation warnings on first use
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = DataContext.get_current()
    saved = {
        k: getattr(ctx, k)
        for k in ("enable_progress_bars", "print_on_execution_start", "execution_no_progress_timeout_s", "target_max_block_size")
    }
    levels = {name: logging.getLogger(name).level for name in _RAY_LOGGERS}
    try:
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        ctx.target_max_block_size = max(ctx.target_max_block_size or 0, 1 << 30)  # a shard is one block
        if timeout_s is not None:
            ctx.execution_no_progress_timeout_s = timeout_s
        for name in _RAY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        yield ctx
    finally:
        for key, value in saved.items():
            setattr(ctx, key, value)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
