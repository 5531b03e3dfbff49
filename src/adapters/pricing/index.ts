export { GenaiPriceList } from './genai-prices.price-list.js';
