import { describeProviderContract } from '../contract/provider.contract.js';
import { geminiHarness } from '../support/gemini-harness.js';

describeProviderContract(geminiHarness);
