import { describeProviderContract } from '../contract/provider.contract.js';
import { opencodeHarness } from '../support/opencode-harness.js';

describeProviderContract(opencodeHarness);
