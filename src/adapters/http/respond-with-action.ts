import type { ServerResponse } from 'node:http';
import { FirewallError } from '../../core/errors.ts';
import { isTerminal } from '../../core/action/status.ts';
import type { ActionRecord } from '../../gateway/action-record.ts';
import { actionView } from '../../gateway/action-view.ts';
import { writeBody, writeProblem } from './problem.ts';

/**
 * Sends the outcome of a submission: LOW returns after execution, blocked is a 403, the rest 202.
 * On a plain node:http response, so the proxy entrance (which runs without express) and the
 * actions route answer alike.
 */
export function respondWithAction(res: ServerResponse, record: ActionRecord, created: boolean): void {
  res.setHeader('Location', `/v1/actions/${record.id}`);
  res.setHeader('Analog-Firewall-Action', record.id);
  if (record.status === 'blocked') {
    writeProblem(
      res,
      new FirewallError('ACTION_BLOCKED', `blocked by ${record.classification.rule}: ${record.classification.reasons.join('; ')}`, {
        status: 403,
        detail: { action: actionView(record) },
      }),
    );
    return;
  }
  const done = isTerminal(record.status);
  writeBody(res, done ? (created ? 201 : 200) : 202, 'application/json; charset=utf-8', JSON.stringify(actionView(record)));
}
