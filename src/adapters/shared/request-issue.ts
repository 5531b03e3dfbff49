import * as v from 'valibot';
import type { ValidationIssue } from '../../domain/errors.js';

type Issue = v.BaseIssue<unknown>;

const nouns: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  strict_object: 'an object',
  array: 'an array',
};

/**
 * A schema issue as a client should read it: the field's path and a sentence about the
 * request. The schemas' own messages already are; valibot's defaults ("Invalid length:
 * Expected >=1 but received 0") are said again in plain words.
 */
export function requestIssue(issue: Issue): ValidationIssue {
  return { path: v.getDotPath(issue) ?? '', message: issue.message.startsWith('Invalid ') ? plainWords(issue) : issue.message };
}

function plainWords(issue: Issue): string {
  const unit = typeof issue.input === 'string' ? 'characters' : 'items';
  switch (issue.type) {
    case 'min_length':
      return issue.requirement === 1 ? 'must not be empty' : `must be at least ${String(issue.requirement)} ${unit} long`;
    case 'max_length':
      return `must be at most ${String(issue.requirement)} ${unit} long`;
    case 'min_value':
      return `must be at least ${String(issue.requirement)}`;
    case 'max_value':
      return `must be at most ${String(issue.requirement)}`;
    case 'integer':
      return 'must be a whole number';
    case 'url':
      return 'must be a URL';
    default: {
      const noun = nouns[issue.type];
      return noun ? `must be ${noun}, not ${issue.received}` : `is not valid here (${issue.expected ?? 'another value'} expected, ${issue.received} given)`;
    }
  }
}
