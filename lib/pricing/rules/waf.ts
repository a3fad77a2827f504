import { sizeNumber } from '../billable-resource.js';
import { costLine } from '../cost-line.js';
import { num } from '../format.js';
import { SECONDS_PER_MONTH } from '../prices.js';
import { perResource } from './rule.js';

/**
 * `AWS::WAFv2::WebACL`: the web ACL's month, each rule's month (a managed rule group is one rule),
 * and the requests it inspects: the ingest requests (`eventsPerSec ÷ eventsPerRequest`, as the load
 * balancers' rule counts them) times its load balancers' share of them. The load balancers' own
 * health checks do not pass through WAF. Size keys: `rules`, `requestShare` (0–1, default 1).
 */
export const webAclRule = perResource((r, { load, prices }) => {
  const rules = sizeNumber(r, 'rules');
  const share = sizeNumber(r, 'requestShare', 1);
  const rps = (load.eventsPerSec / load.eventsPerRequest) * share;
  return [
    costLine(r, 'WAF web ACL', 1, prices.waf.webAclMonth, '1 web ACL'),
    costLine(r, 'WAF rules', rules, prices.waf.ruleMonth, `${rules} rules (a managed rule group is one)`),
    costLine(
      r,
      'WAF requests',
      (rps * SECONDS_PER_MONTH) / 1e6,
      prices.waf.requestsPerMillion,
      `${num(load.eventsPerSec)} events/s ÷ ${num(load.eventsPerRequest)} per request × ${num(share, 4)} (its load balancers' share) = ${num(rps, 4)} requests/s × ${num(SECONDS_PER_MONTH)} s`,
    ),
  ];
});
