/** Shared output of the validators: one line per problem, exit status 1 when any. */
export interface Problem {
  where: string;
  message: string;
}

export function report(check: string, problems: Problem[], okDetail = ''): number {
  for (const p of problems) process.stdout.write(`${p.where}: ${p.message}\n`);
  if (problems.length > 0) {
    process.stdout.write(`${check}: ${problems.length} problem(s)\n`);
    return 1;
  }
  process.stdout.write(`${check}: ok${okDetail ? ` (${okDetail})` : ''}\n`);
  return 0;
}
