import { describeProviderContract } from '../contract/provider.contract.js';
import { claudeHarness } from '../support/claude-harness.js';

describeProviderContract(claudeHarness);
