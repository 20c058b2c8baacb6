"""``save_best`` by any srtoolbox metric, for the checkpoint hook.

mmengine's ``CheckpointHook`` infers a comparison rule only for names such
as 'acc' or 'loss'; srtoolbox's metric keys are ``'<dataset>/<metric>'``
(``'Set5/PSNR'``, ``'Set14/LPIPS'``). :class:`BestMetricMixin`:

* infers the rule from the metric after the last '/': 'greater' for PSNR
  and SSIM, 'less' for LPIPS, DISTS and NIQE
  (:data:`srtoolbox.evaluation.scorers.LOWER_IS_BETTER`), for a named key
  and for ``save_best='auto'`` (the first metric of the evaluator) alike;
  'auto' on another metric keeps 'greater';
* refuses, when the hook is built, a rule that contradicts the metric
  (``save_best='Set5/LPIPS', rule='greater'`` would keep the worst);
* before training, checks that the evaluator has a metric that reports each
  named key and that it is not skipped (LPIPS or DISTS without their
  weight files), and logs which metric and rule pick the best checkpoint;
* stops with one message naming the key and the keys validation reported
  when a named key is absent, instead of mmengine's bare ``KeyError``.
"""
from ..evaluation.scorers import LOWER_IS_BETTER

__all__ = ['BestMetricMixin', 'metric_rule']

GREATER_IS_BETTER = ('PSNR', 'SSIM')


def metric_rule(key):
    """'greater' or 'less' for a srtoolbox metric key such as
    ``'Set5/LPIPS'``; None for a name it does not know."""
    name = str(key).rsplit('/', 1)[-1]
    if name in LOWER_IS_BETTER:
        return 'less'
    if name in GREATER_IS_BETTER:
        return 'greater'
    return None


class BestMetricMixin:
    """Put before mmengine's ``CheckpointHook`` in the bases."""

    def _init_rule(self, rules, key_indicators):
        rules = list(rules)
        if len(rules) == 1:
            rules = rules * len(key_indicators)
        for i, (rule, key) in enumerate(zip(rules, key_indicators)):
            known = metric_rule(key)
            if rule is None:
                # save_best='auto' on a metric of its own: 'greater', the
                # default runtime's rule before it was inferred
                auto = key != 'auto' and self.save_best == ['auto']
                rules[i] = known or ('greater' if auto else None)
            elif known is not None and rule != known:
                better = 'lower' if known == 'less' else 'higher'
                raise ValueError(
                    f"checkpoint hook: save_best={key!r} with rule={rule!r} "
                    f'would keep the worst checkpoint: {better} '
                    f"{key.rsplit('/', 1)[-1]} is better, so rule must be "
                    f"{known!r} (or leave rule=None to infer it)")
        super()._init_rule(rules, key_indicators)

    def before_train(self, runner):
        super().before_train(runner)
        if not self.save_best or 'auto' in self.key_indicators:
            return
        val_loop = getattr(runner, '_val_loop', None)
        evaluator = getattr(val_loop, 'evaluator', None)
        metrics = getattr(evaluator, 'metrics', None) or []
        by_name = {getattr(m, 'metric_name', None): m for m in metrics}
        for key, rule in zip(self.key_indicators, self.rules):
            name = key.rsplit('/', 1)[-1]
            metric = by_name.get(name)
            if metric is None and metric_rule(key) is not None:
                raise ValueError(
                    f'checkpoint hook: save_best={key!r}, but val_evaluator '
                    f'has no {name} metric (it has '
                    f'{", ".join(n for n in by_name if n) or "none"}): add '
                    f"dict(type='{name}') to val_evaluator")
            reason = getattr(metric, 'skip_reason', None)
            if reason:
                raise ValueError(f'checkpoint hook: save_best={key!r}, but '
                                 f'the {name} metric reports nothing: '
                                 f'{reason}')
            runner.logger.info(
                f'checkpoint hook: the best checkpoint is the one with the '
                f"{'lowest' if rule == 'less' else 'highest'} {key}")

    def _save_best_checkpoint(self, runner, metrics):
        if self.save_best:
            missing = [k for k in self.key_indicators
                       if k != 'auto' and k not in metrics]
            if missing:
                raise KeyError(
                    f'checkpoint hook: save_best names {", ".join(missing)}, '
                    f'but validation reported only '
                    f'{", ".join(metrics) or "nothing"} (keys are '
                    "'<dataset>/<metric>': check the dataset name and "
                    'val_evaluator)')
        super()._save_best_checkpoint(runner, metrics)
