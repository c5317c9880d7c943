/**
 * Markdown for mailing lists and commit messages: a short header, then the interleaving as a
 * lane table in a fenced block that fits 80 columns (mail clients and `git log` keep it
 * aligned), the objects raced on and the replay command.
 */
import type { Report } from './trace.js';
import { activeCpus, conflictSummary, idleCpus, layoutLanes, renderLanes, wrap } from './lanes.js';
import { ablatedLine, kernelProfileLine, minimizationLine, verdictLine } from './text.js';
import { shellQuote } from '../sched/ablation.js';

export const MD_WIDTH = 80;

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  const para = (s: string, lead = '', indent = 2) => {
    for (const [i, l] of wrap(s, MD_WIDTH - lead.length, indent).entries()) out.push((i === 0 ? lead : ' '.repeat(lead.length)) + l);
  };
  const vs = Object.entries(r.variants).map(([p, v]) => `${p}=${v}`);
  // a heading cannot wrap: the scenario goes on the line below when both do not fit
  const title = `### racewalk: ${r.verdict === 'violation' ? `${r.invariant} violated` : r.verdict}`;
  const inScenario = ` in ${r.scenario}`;
  out.push(title.length + inScenario.length <= MD_WIDTH ? title + inScenario : title);
  out.push('');
  para(title.length + inScenario.length <= MD_WIDTH ? r.description : `${r.scenario}: ${r.description}`);
  out.push('');
  para(`Linux ${r.kernel} model, racewalk ${r.racewalk}; variants: ${vs.length === 0 ? 'all faithful' : vs.map((v) => `\`${v}\``).join(', ')}; env: ${Object.entries(r.env).map(([k, v]) => `\`${k}=${v}\``).join(', ')}.`, '- ', 0);
  if (r.kernelProfile) para(kernelProfileLine(r.kernelProfile) + '.', '- ', 0);
  if (r.ablated !== undefined) para(`**${ablatedLine(r.ablated)}**.`, '- ', 0);
  para(verdictLine(r) + '.', '- ', 0);
  if (r.minimization) para(`${minimizationLine(r)}.`, '- ', 0);
  if (r.invariantDescription) para(`**${r.invariant}**: ${r.invariantDescription}`, '- ', 0);
  if (r.message !== null && r.violationStep !== null) para(`Detected after step ${r.violationStep}: ${r.message}`, '- ', 0);
  if (r.trace.length > 0) {
    out.push('');
    out.push('```');
    out.push(...renderLanes(layoutLanes(r, { width: MD_WIDTH, notes: false, cpuState: false }), MD_WIDTH, activeCpus(r).length, (s) => s.text));
    out.push('```');
    const idle = idleCpus(r);
    if (idle.length > 0) out.push('');
    for (const t of idle) para(`(${t}: takes no step)`);
    const races = conflictSummary(r);
    if (races.length > 0) {
      out.push('');
      out.push('Objects the CPUs race on (`*` above; R read, W write @ step):');
      out.push('');
      for (const x of races) para(x, '- ', 2);
    }
  }
  if (r.schedule !== null) {
    out.push('');
    out.push('Replay:');
    out.push('');
    out.push('```sh');
    out.push(`racewalk replay${r.scenarioFile !== undefined ? ` --scenario-file ${r.scenarioFile}` : ''} --scenario ${r.scenario} \\`);
    for (const [p, v] of Object.entries(r.variants)) out.push(`  --variant ${p}=${v} \\`);
    for (const [k, v] of Object.entries(r.env)) out.push(`  --env ${k}=${v} \\`);
    if (r.ablated !== undefined) out.push(`  --ablate ${shellQuote(r.ablated)} \\`);
    out.push(`  --schedule ${r.schedule}`);
    out.push('```');
  }
  return out.join('\n') + '\n';
}
