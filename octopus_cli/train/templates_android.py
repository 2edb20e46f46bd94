"""Query templates and slot pools for the 20 Android functions of Octopus v2, as data.

A template is a query with ``{slot}`` fields; the generator in :mod:`octopus_cli.train.data`
fills each slot from a pool and derives the call's arguments. An entry is either a plain
string or ``(string, fixed_arguments)`` when the wording itself decides an argument
("take a selfie" means the front camera). An argument with a default that no slot and no
fixed value sets gets its default.

Policies the templates follow (the model can only learn what is consistent):

* Copied values (names, places, topics, messages, titles, addresses, phone numbers) appear
  in the query exactly as they appear in the call, never with a leading article.
* Times and dates are always explicit: 12-hour times carry am/pm or a part of the day,
  24-hour times are ``HH:MM``, and every date names its year. The prompt has no clock, so
  "tomorrow" or "in ten minutes" cannot be converted and are not generated.
* Free-text slots (messages, email bodies, topics) end the query or are followed by a
  clear delimiter, so where the value stops is never a guess.
"""

from __future__ import annotations


def _items(text: str) -> tuple[str, ...]:
    """Split a ``|``-separated block into stripped, non-empty items (keeps data compact)."""
    return tuple(item.strip() for item in text.split("|") if item.strip())


# --------------------------------------------------------------------------- slot pools

FIRST_NAMES = _items("""
Ana|Liam|Olivia|Noah|Emma|Oliver|Ava|Elijah|Sophia|Lucas|Mia|Mateo|Isabella|Levi|Amelia|
Ethan|Harper|James|Evelyn|Benjamin|Luna|Henry|Camila|Sebastian|Gianna|Jack|Aria|Theo|Ella|
Daniel|Nora|Samuel|Chloe|David|Layla|Joseph|Zoe|Owen|Lily|Wyatt|Hazel|John|Aurora|Caleb|
Violet|Isaac|Penelope|Gabriel|Stella|Julian|Ellie|Anthony|Maya|Dylan|Leah|Grayson|Ruby|
Ezra|Ivy|Thomas|Alice|Charles|Clara|Miles|Naomi|Hugo|Iris|Felix|Elena|Oscar|Rosa|Arjun|
Priya|Rahul|Ananya|Vikram|Sanjay|Deepa|Kiran|Meera|Ravi|Aisha|Omar|Fatima|Yusuf|Layla|
Hassan|Zainab|Karim|Nadia|Tariq|Leila|Wei|Mei|Jun|Hiroshi|Yuki|Sakura|Kenji|Haruto|Aiko|
Min-jun|Ji-woo|Seo-yeon|Hyun|Lin|Xiao|Chen|Tao|Bao|Linh|Minh|Thanh|Nguyen|Sipho|Thandi|
Kwame|Ama|Kofi|Abena|Chidi|Ngozi|Emeka|Amara|Tunde|Folake|Zuri|Jabari|Imani|Malik|Nia|
Diego|Lucia|Carlos|Valentina|Javier|Sofia|Pablo|Martina|Andres|Catalina|Tomas|Julieta|
Pedro|Beatriz|Joao|Mariana|Rafael|Ines|Francesca|Marco|Giulia|Luca|Chiara|Matteo|Alessia|
Lukas|Lena|Jonas|Hannah|Felix|Leonie|Finn|Marie|Sven|Ingrid|Lars|Astrid|Erik|Freya|Nils|
Sigrid|Mikko|Aino|Jakub|Zofia|Piotr|Katarzyna|Ivan|Olga|Dmitri|Anya|Sasha|Nikolai|Tatiana|
Mehmet|Elif|Emre|Zeynep|Yannis|Eleni|Nikos|Sofie|Pieter|Anouk|Bram|Saoirse|Niamh|Cormac|
Siobhan|Ewan|Isla|Callum|Morag|Rhys|Cerys|Dafydd|Bronwen|Maeve|Declan|Rory|Fiona|Grace|
Paul|Sarah|Michael|Jessica|Chris|Laura|Mark|Rachel|Kevin|Megan|Brian|Emily|Jason|Amy|Tyler|
Brooke|Derek|Tanya|Marcus|Keisha|Andre|Jasmine|Darnell|Tiana|Jamal|Aaliyah|Trevor|Shauna|
Eduardo|Ximena|Santiago|Renata|Emilio|Paloma|Ignacio|Florencia|Joaquin|Agustina|Bruno|
Camille|Louis|Chloe|Antoine|Manon|Mathis|Juliette|Theo|Ines|Remi|Margaux|Bastien|Elodie|
Kai|Noa|Ari|Tal|Yael|Eitan|Shira|Amit|Rohan|Neha|Aditya|Kavya|Ishaan|Diya|Varun|Pooja|
""")
FIRST_NAMES += _items("""
Abigail|Adrian|Alba|Alejandro|Amir|Anders|Angela|Annika|Arturo|Asha|Aurelio|Ayumi|Beatrix|
Benedikt|Bianca|Boris|Carmen|Cecilia|Cyrus|Dalia|Damian|Dario|Delphine|Dominik|Edith|Eero|
Eliza|Esther|Fabian|Farah|Federico|Gemma|Gideon|Greta|Gustavo|Hana|Helga|Hiro|Ibrahim|Ilse|
Irene|Ismael|Jana|Jorge|Kasia|Katya|Kenzo|Kiara|Lorenzo|Lucille|Magnus|Marisol|Maximilian|
Mirela|Nadine|Nasrin|Odette|Orla|Pascal|Petra|Quentin|Ramona|Reza|Rosalind|Salma|Selin|
Simone|Soren|Stefan|Svetlana|Talia|Teodor|Ulla|Valeria|Vera|Wanda|Xavier|Yara|Yosef|Zara|
""")

LAST_NAMES = _items("""
Silva|Smith|Johnson|Garcia|Martinez|Brown|Davis|Miller|Wilson|Moore|Taylor|Anderson|Thomas|
Jackson|White|Harris|Martin|Thompson|Lee|Walker|Hall|Allen|Young|King|Wright|Lopez|Hill|
Scott|Green|Adams|Baker|Nelson|Carter|Mitchell|Perez|Roberts|Turner|Phillips|Campbell|Parker|
Evans|Edwards|Collins|Stewart|Sanchez|Morris|Rogers|Reed|Cook|Morgan|Bell|Murphy|Bailey|
Rivera|Cooper|Richardson|Cox|Howard|Ward|Torres|Peterson|Gray|Ramirez|Watson|Brooks|Kelly|
Sanders|Price|Bennett|Wood|Barnes|Ross|Henderson|Coleman|Jenkins|Perry|Powell|Long|Patterson|
Hughes|Flores|Washington|Butler|Simmons|Foster|Gonzales|Bryant|Alexander|Russell|Griffin|
Diaz|Hayes|Myers|Ford|Hamilton|Graham|Sullivan|Wallace|Woods|Cole|West|Jordan|Owens|Reynolds|
Fischer|Schmidt|Schneider|Weber|Becker|Wagner|Hoffmann|Dubois|Moreau|Laurent|Lefebvre|Rossi|
Russo|Ferrari|Esposito|Bianchi|Romano|Kowalski|Nowak|Wisniewski|Ivanov|Petrov|Sokolov|Novak|
Horvat|Jensen|Hansen|Nielsen|Larsen|Andersson|Johansson|Karlsson|Nilsson|Virtanen|Korhonen|
Yilmaz|Kaya|Demir|Papadopoulos|Georgiou|De Vries|Janssen|Peeters|Murray|O'Brien|O'Connor|
Byrne|Kennedy|MacLeod|Campbell|Fraser|Jones|Williams|Davies|Hughes|Patel|Sharma|Singh|Kumar|
Gupta|Reddy|Iyer|Nair|Mehta|Khan|Ahmed|Ali|Hussain|Rahman|Chowdhury|Haddad|Nasser|Mansour|
Cohen|Levi|Mizrahi|Wang|Li|Zhang|Liu|Chen|Yang|Huang|Zhao|Wu|Zhou|Tanaka|Suzuki|Takahashi|
Watanabe|Ito|Yamamoto|Nakamura|Kim|Park|Choi|Jung|Kang|Tran|Le|Pham|Hoang|Okafor|Adeyemi|
Mensah|Owusu|Nkosi|Dlamini|Mwangi|Otieno|Kamau|Santos|Oliveira|Souza|Pereira|Costa|Almeida|
Fernandes|Gomes|Rodrigues|Hernandez|Gonzalez|Castillo|Vargas|Morales|Ortiz|Ruiz|Mendoza|
""")

RELATIONS = _items("""
Mom|Dad|Mum|Grandma|Grandpa|Nana|Auntie Jo|Uncle Ray|my boss|the babysitter|Coach Miller|
Dr. Patel|Professor Kim|honey|Babe|Sis|Bro|the landlord|Mrs. Chen|Mr. Okafor|
""")

EMAIL_DOMAINS = _items("""
example.com|example.org|gmail.com|outlook.com|yahoo.com|icloud.com|proton.me|hotmail.com|
company.io|acme.co|work.net|university.edu|startup.dev|studio.design|mail.de|web.fr|
fastmail.com|hey.com|zoho.com|school.org
""")

CITIES = _items("""
Lisbon|Porto|Madrid|Barcelona|Valencia|Seville|Paris|Lyon|Marseille|Nice|Bordeaux|Toulouse|
London|Manchester|Liverpool|Edinburgh|Glasgow|Cardiff|Belfast|Dublin|Cork|Galway|Amsterdam|
Rotterdam|Utrecht|Brussels|Antwerp|Ghent|Berlin|Munich|Hamburg|Cologne|Frankfurt|Stuttgart|
Leipzig|Dresden|Vienna|Salzburg|Zurich|Geneva|Basel|Bern|Milan|Rome|Naples|Turin|Florence|
Venice|Bologna|Palermo|Athens|Thessaloniki|Istanbul|Ankara|Izmir|Prague|Brno|Warsaw|Krakow|
Gdansk|Wroclaw|Budapest|Bratislava|Ljubljana|Zagreb|Split|Belgrade|Sofia|Bucharest|Cluj-Napoca|
Copenhagen|Aarhus|Oslo|Bergen|Stockholm|Gothenburg|Malmo|Helsinki|Tampere|Reykjavik|Tallinn|
Riga|Vilnius|Kyiv|Lviv|Tbilisi|Yerevan|Baku|Moscow|Cairo|Alexandria|Casablanca|Marrakesh|
Tunis|Algiers|Lagos|Abuja|Accra|Dakar|Nairobi|Mombasa|Addis Ababa|Kampala|Kigali|Dar es Salaam|
Zanzibar|Johannesburg|Cape Town|Durban|Windhoek|Gaborone|Lusaka|Harare|Maputo|Luanda|Kinshasa|
Dubai|Abu Dhabi|Doha|Riyadh|Jeddah|Muscat|Kuwait City|Amman|Beirut|Tel Aviv|Jerusalem|Tehran|
Karachi|Lahore|Islamabad|Mumbai|Delhi|New Delhi|Bangalore|Chennai|Hyderabad|Kolkata|Pune|
Jaipur|Ahmedabad|Kochi|Goa|Colombo|Kathmandu|Dhaka|Chittagong|Yangon|Bangkok|Chiang Mai|
Phuket|Hanoi|Ho Chi Minh City|Da Nang|Phnom Penh|Vientiane|Kuala Lumpur|Penang|Singapore|
Jakarta|Bali|Surabaya|Manila|Cebu|Taipei|Kaohsiung|Hong Kong|Macau|Shanghai|Beijing|Shenzhen|
Guangzhou|Chengdu|Xi'an|Hangzhou|Wuhan|Seoul|Busan|Incheon|Tokyo|Osaka|Kyoto|Sapporo|Fukuoka|
Nagoya|Okinawa|Ulaanbaatar|Almaty|Tashkent|Sydney|Melbourne|Brisbane|Perth|Adelaide|Hobart|
Darwin|Canberra|Auckland|Wellington|Christchurch|Queenstown|Fiji|Honolulu|Anchorage|Seattle|
Portland|San Francisco|Oakland|San Jose|Los Angeles|San Diego|Las Vegas|Phoenix|Tucson|
Salt Lake City|Denver|Boulder|Albuquerque|Austin|Dallas|Houston|San Antonio|El Paso|
Oklahoma City|Kansas City|Omaha|Minneapolis|St. Louis|Chicago|Milwaukee|Detroit|Cleveland|
Columbus|Cincinnati|Indianapolis|Louisville|Nashville|Memphis|New Orleans|Atlanta|Charlotte|
Raleigh|Miami|Orlando|Tampa|Jacksonville|Savannah|Charleston|Richmond|Washington DC|Baltimore|
Philadelphia|Pittsburgh|New York|Brooklyn|Boston|Providence|Hartford|Burlington|Portland Maine|
Buffalo|Toronto|Montreal|Quebec City|Ottawa|Vancouver|Victoria|Calgary|Edmonton|Winnipeg|
Halifax|Mexico City|Guadalajara|Monterrey|Cancun|Oaxaca|Havana|San Juan|Kingston|Panama City|
San Jose Costa Rica|Bogota|Medellin|Cartagena|Quito|Lima|Cusco|La Paz|Santiago|Valparaiso|
Buenos Aires|Cordoba|Mendoza|Montevideo|Asuncion|Sao Paulo|Rio de Janeiro|Brasilia|Salvador|
Recife|Fortaleza|Curitiba|Porto Alegre|Manaus
""")

CITY_WITH_REGION = _items("""
Paris, France|Paris, Texas|Portland, Oregon|Springfield, Illinois|Cambridge, UK|
Cambridge, Massachusetts|Valencia, Spain|Sydney, Australia|Perth, Scotland|London, Ontario|
Austin, TX|Denver, CO|Seattle, WA|Miami, FL|Boston, MA|Toronto, Canada|Lyon, France|
Kyoto, Japan|Cusco, Peru|Nice, France|Bergen, Norway|Cork, Ireland|Pune, India|Hobart, Tasmania
""")

LANDMARKS = _items("""
Union Station|Central Station|JFK Airport|Heathrow Airport|LAX|Gare du Nord|Times Square|
Golden Gate Park|Central Park|Hyde Park|Stanley Park|the Eiffel Tower|Brooklyn Bridge|
Fisherman's Wharf|Pike Place Market|Navy Pier|the Louvre|Alexanderplatz|Shibuya Crossing|
Sagrada Familia|Belem Tower|Trafalgar Square|King's Cross|Grand Central Terminal|
Penn Station|South Station|Millennium Park|Griffith Observatory|Venice Beach|Santa Monica Pier|
Stanford University|MIT|Harvard Square|Union Square|Dolores Park|Ocean Beach|Lake Merritt|
Downtown|Midtown|Old Town|the Marina|City Hall|the harbour|Main Street|Market Street|
221B Baker Street|10 Downing Street|1600 Amphitheatre Parkway|350 Fifth Avenue|
742 Evergreen Terrace|12 Rue de Rivoli|Rua Augusta 100|Calle Mayor 5|Unter den Linden 77|
5th Avenue and 42nd Street|Oak Street 18|Maple Avenue 230|Elm Road 9|Pine Street 1200|
Westfield Mall|Whole Foods on Castro|the Apple Store|IKEA|Costco|Home Depot|Walmart|Target|
St. Mary's Hospital|General Hospital|the public library|Lincoln High School|Riverside Park|
Green Lake|the zoo|the stadium|Wembley Stadium|Madison Square Garden|Fenway Park|Wrigley Field|
home|work|my office|the gym|school|grandma's house|the train station|the bus terminal|
""")

# Places for routes: cities, landmarks and addresses (articles kept only inside names).
PLACES = CITIES + LANDMARKS

WEATHER_LOCATIONS = CITIES + CITY_WITH_REGION

NEWS_TOPICS = _items("""
artificial intelligence|climate change|the stock market|electric cars|Formula 1|the World Cup|
Bitcoin|NASA|space exploration|housing prices|inflation|interest rates|the Olympics|
renewable energy|solar power|the elections|the Premier League|the NBA playoffs|Wimbledon|
cybersecurity|data privacy|quantum computing|semiconductors|Apple|Google|Tesla|Microsoft|
Amazon|Nvidia|OpenAI|SpaceX|the Mars mission|the James Webb telescope|vaccines|public health|
mental health|nutrition|the housing market|the job market|unemployment|remote work|
startups|venture capital|cryptocurrency|Ethereum|oil prices|gas prices|the euro|the dollar|
the Federal Reserve|the European Union|the United Nations|Brexit|the G20 summit|NATO|
wildfires|hurricanes|earthquakes|floods|the heat wave|drought|ocean plastic|deforestation|
endangered species|coral reefs|the Amazon rainforest|the Arctic|glaciers|air pollution|
video games|the Nintendo Switch|PlayStation|Xbox|esports|Hollywood|the Oscars|the Grammys|
Taylor Swift|Beyonce|K-pop|BTS|Netflix|Disney|Marvel movies|Star Wars|streaming services|
self-driving cars|drones|robotics|3D printing|virtual reality|augmented reality|smartphones|
5G|the iPhone launch|Android updates|social media|TikTok|Instagram|YouTube creators|
education|student loans|universities|school funding|immigration|refugees|human rights|
the Supreme Court|tax reform|healthcare|Medicare|the economy|the recession|supply chains|
shipping|airlines|air travel|tourism|cruise ships|high-speed rail|public transport|cycling|
the Tour de France|marathons|tennis|golf|cricket|rugby|baseball|the Super Bowl|the NFL|
ice hockey|Champions League|Real Madrid|Manchester United|Lionel Messi|Serena Williams|
chess|the Nobel Prize|archaeology|dinosaurs|fossils|genetics|CRISPR|cancer research|
Alzheimer's research|longevity|sleep science|coffee|wine|restaurants|food prices|veganism|
farming|agriculture|wheat prices|fishing|beekeeping|gardening|architecture|fashion week|
art auctions|museums|books|literature|poetry|podcasts|theater|Broadway|jazz|classical music|
opera|local news|city council|traffic|road works|the new subway line|the airport expansion|
Japan|India|Brazil|Nigeria|Kenya|Mexico|Canada|Australia|Germany|France|Ukraine|South Korea|
the minimum wage|electric scooters|bike lanes|nuclear power|wind farms|heat pumps|lithium mining|
the chip shortage|smart homes|wearable tech|online privacy laws|AI regulation|deepfakes|
the transfer window|the Ryder Cup|the Six Nations|the Ashes|the US Open|Paralympics|
the Met Gala|Eurovision|the Venice Film Festival|Comic-Con|the Booker Prize|
""")

YOUTUBE_QUERIES = _items("""
lo-fi beats|how to tie a tie|sourdough bread recipe|beginner yoga|10 minute ab workout|
cat videos|funny dog compilations|guitar lessons for beginners|how to change a tire|
Python tutorial|JavaScript crash course|machine learning explained|SpaceX launch|
Taylor Swift live|relaxing rain sounds|white noise for sleep|piano covers|jazz for studying|
how to make pho|easy pasta recipes|vegan meal prep|home workout no equipment|HIIT cardio|
stretching routine|meditation for anxiety|how to draw a face|watercolor painting tips|
origami crane|knitting for beginners|how to solve a Rubik's cube|chess openings|
Magnus Carlsen games|Minecraft speedrun|Zelda walkthrough|Elden Ring boss guide|
Formula 1 highlights|Champions League highlights|NBA top plays|Olympic gymnastics|
TED talks on leadership|history of Rome|World War 2 documentary|ancient Egypt|
black holes explained|how vaccines work|the solar system for kids|baby shark|
nursery rhymes|Sesame Street|how to fold a fitted sheet|unclogging a drain|
fixing a leaky faucet|assembling IKEA furniture|how to paint a wall|tiling a bathroom|
car detailing|motorcycle maintenance|bike repair|how to change a bike chain|
learn Spanish in 30 days|Japanese for beginners|French pronunciation|sign language basics|
camping tips|hiking the Appalachian Trail|Iceland road trip|Tokyo travel guide|
things to do in Lisbon|street food in Bangkok|Paris vlog|van life|tiny house tours|
minimalist apartment tour|budget travel hacks|credit score tips|investing for beginners|
how the stock market works|personal finance|resume tips|job interview questions|
public speaking tips|productivity hacks|Notion setup|Excel pivot tables|Photoshop basics|
video editing in DaVinci Resolve|how to start a podcast|iPhone photography tips|
drone footage of Norway|4K nature|ocean documentary|David Attenborough|bird songs|
wolves in Yellowstone|how bees make honey|gardening for beginners|growing tomatoes|
composting at home|succulent care|bonsai trees|aquarium setup|dog training tips|
puppy potty training|cat grooming|horse riding lessons|skateboarding tricks|surfing basics|
snowboarding for beginners|rock climbing technique|marathon training|running form|
calisthenics progression|powerlifting squat form|boxing combos|Brazilian jiu-jitsu basics|
salsa dancing|hip hop dance tutorial|ballet warm up|K-pop dance covers|beatboxing|
ukulele chords|drum fills|music theory basics|how to sing better|DJ mixing tutorial|
Beethoven symphony 9|Hans Zimmer live|movie trailers|Marvel trailer|Dune behind the scenes|
stand-up comedy|Saturday Night Live sketches|late night monologue|unboxing Pixel phone|
iPhone review|laptop buying guide|building a gaming PC|mechanical keyboards|Raspberry Pi projects|
Arduino for beginners|3D printing tips|woodworking projects|leather crafting|candle making|
soap making|cake decorating|macarons recipe|ramen from scratch|Korean barbecue at home|
Indian butter chicken|tacos al pastor|Italian pizza dough|French omelette technique|
knife sharpening|coffee brewing methods|latte art|cocktail recipes|wine tasting basics|
kombucha brewing|bread baking science|ASMR cooking|satisfying videos|magic tricks revealed|
card tricks|optical illusions|science experiments for kids|volcano experiment|
how airplanes fly|how engines work|nuclear fusion explained|quantum physics for beginners|
how to parallel park|learning to juggle|speed reading techniques|memory palace method|
how to write a cover letter|negotiating a raise|morning routine ideas|bullet journal setup|
decluttering tips|capsule wardrobe|how to iron a shirt|sewing a button|fixing a zipper|
changing a light switch|installing a ceiling fan|bleeding a radiator|painting kitchen cabinets|
building a raised garden bed|pruning roses|lawn care tips|making sourdough starter|
fermenting kimchi|homemade pasta|perfect scrambled eggs|one pot dinners|air fryer recipes|
slow cooker chili|meal prep for the week|smoothie recipes|gluten free baking|
lunar eclipse livestream|northern lights timelapse|volcano eruptions|tornado chasers|
deep sea creatures|life in Antarctica|history of the internet|how GPS works|
how computers work|Linux command line basics|Git tutorial|Docker in 100 seconds|
""")

SEARCH_TOPICS = YOUTUBE_QUERIES

EMAIL_SUBJECTS = _items("""
Running late|Project update|Meeting notes|Quick question|Lunch tomorrow|Weekend plans|
Invoice 2041|Re: contract draft|Happy birthday|Thank you|Trip itinerary|Budget review|
Dinner on Friday|Holiday schedule|Job application|Interview follow-up|Rent payment|
Team offsite|Q3 report|Design feedback|Code review|Launch checklist|Conference tickets|
Flight details|Hotel booking|Car repair|School pickup|Book club|Parent-teacher meeting|
Doctor's note|Vacation request|Sick day|New address|Moving day|Wedding RSVP|Party invite|
Congratulations|Welcome aboard|Onboarding|Password reset|Account question|Refund request|
Order 55812|Delivery delay|Missing package|Photos from the trip|Recipe you asked for|
Homework help|Study group|Exam schedule|Thesis draft|Lab results|Volunteer shift|
Garden club|Soccer practice|Piano lessons|Swim class|Camping gear|Ski trip|Beach day|
Concert tickets|Movie night|Game night|Board meeting|Quarterly goals|Sales numbers|
Marketing plan|Press release|Website redesign|Bug report|Server outage|Release notes|
Feature request|Customer feedback|Partnership proposal|Coffee chat|Mentoring session|
Reference letter|Recommendation|Apartment viewing|Lease renewal|Insurance claim|Tax documents|
Bank transfer|Expense report|Receipts|Catering order|Seating chart|Guest list|Anniversary|
Baby shower|Graduation|Retirement party|Farewell lunch|Status check|Reminder|Urgent|
Follow-up|Next steps|Agenda for Monday|Slides for the talk|Podcast interview|Workshop signup|
Signed lease|Weekly summary|Sprint demo|Vendor quote|Travel reimbursement|Training plan|
Offer letter|Notice period|Handover notes|Office move|Parking permit|Gym membership|
Library books|Field trip form|Permission slip|Lunch menu|Carpool schedule|Grocery list|
Birthday present ideas|Photos from Saturday|Recital video|Thank-you card|Club fees|
""")

EMAIL_SENTENCES = _items("""
I will be 10 minutes late.|I'm running about 20 minutes behind.|The meeting is moved to 3 pm.|
Please send me the latest draft.|Can we reschedule to next week?|Thanks for your help today.|
The report is attached.|Let me know if you have any questions.|I'll call you after lunch.|
Happy birthday, have a great day!|The package arrived this morning.|See you at the station.|
Could you review the slides before Friday?|We need to finalize the budget.|
Dinner is at 8 at the usual place.|I won't make it to practice tonight.|
The invoice has been paid.|Please confirm your attendance.|I'm working from home today.|
The kids are with me this weekend.|Can you pick up some milk on the way?|
The flight lands at 6:40.|My train is delayed.|I booked the hotel for two nights.|
The code review is done, it looks good.|The server is back up.|I fixed the bug in checkout.|
We shipped the new release.|The client loved the demo.|Let's grab coffee next week.|
I'm sorry I missed your call.|Thanks for the lovely dinner.|The photos are in the shared folder.|
Rent is due on the first.|The plumber is coming at noon.|Please water the plants while I'm away.|
I've attached my resume.|I'm excited about the role.|Thank you for the interview.|
The exam is on Monday.|I finished chapter three.|Can you send the notes from class?|
The party starts at 7.|Bring a dish if you can.|Parking is behind the building.|
I'll be out of office until Thursday.|Please contact Maria in the meantime.|
The contract looks fine to me.|I have a few small comments.|Let's sign it tomorrow.|
Our team won the game!|Practice is cancelled because of rain.|
The doctor said everything looks normal.|I'm feeling much better.|
Thanks again for the recommendation.|It meant a lot to me.|
Please find the receipts below.|The total comes to 240 dollars.|
We are out of coffee in the office.|Who is ordering lunch today?|
The deadline moved to the 15th.|We need two more volunteers.|
Sign-up closes tonight.|Let me know what works for you.|
I can do Tuesday or Wednesday afternoon.|I'll bring the projector.|
The wifi password is on the fridge.|The keys are under the mat.|
Good luck with the presentation!|You've got this.|
I'm stuck in traffic.|Start without me.|Save me a seat.|
Attached is the signed lease.|Please forward this to the finance team.|
The workshop is full, but I added you to the waiting list.|I'll send the agenda tonight.|
Can you share your screen during the call?|The venue changed to the second floor.|
We're moving the launch by one week.|Please update the tracker by Friday noon.|
The samples arrive on Tuesday.|I loved your talk yesterday.|Could we split the bill?|
My new number is in my signature.|The car is booked for the weekend.|
I've reviewed your pull request and left a few comments.|The tests pass now.|
The kitchen renovation starts Monday.|Please bring your ID to the appointment.|
School is closed tomorrow due to snow.|Dinner is on me this time.|
I left the charger at your place.|The invoice number is 7731.|
We need to talk about the quarterly numbers.|Let's keep this between us for now.|
I'm flying back on Sunday evening.|The hotel has free breakfast.|
Please remember to bring the slides on a USB stick.|Your order has shipped.|
I'm taking Friday off.|The babysitter can stay until 11.|
The gate changed to B12.|Boarding starts in 30 minutes.|
Our anniversary dinner is booked.|Don't forget the tickets.|
""")

SMS_MESSAGES = _items("""
I'm running late|on my way|I'll be there in 10 minutes|can you call me back?|
dinner is ready|don't forget the milk|happy birthday!|see you soon|I miss you|
what time is the game?|pick me up at the station|I'm outside|the door is open|
meeting moved to 4|running 15 min late, sorry|love you|call me when you land|
good luck today!|thanks for everything|are we still on for tonight?|
I left my keys at home|can you feed the cat?|the kids are asleep|
grab some bread on your way home|traffic is terrible|I'll be home by 6|
let's meet at the cafe|where are you?|I got the job!|congrats!|
bring an umbrella, it's raining|practice is cancelled|class starts at 9|
I'm at the pharmacy, need anything?|the package arrived|movie starts at 8|
don't wait up for me|text me when you get home|I'm stuck in a meeting|
can we talk later?|the car is fixed|rent is paid|lunch at noon?|
the train is cancelled, I'll take the next one in 20 minutes|
can you grab the parcel from the neighbor before 6?|
I'm leaving the office now, do we need anything from the store?|
don't forget we have dinner with your parents on Saturday at 7|
the meeting ran over, I'll call you as soon as I'm out|
I found your wallet in the car, it's on the kitchen table|
can you record the game for me? I'll be home late|
I'll be at the north entrance next to the coffee shop|
please move the car before 8, street cleaning tomorrow|
the doctor moved my appointment to Thursday at 10|
we're out of milk, eggs and bread|
happy Friday! drinks at 6 at the usual place?|
just landed, waiting for my bag, see you in 30|
the kids have a half day, pickup is at 12:30|
I'll bring the tent if you bring the stove|
running a bit behind, start the movie without me|
can you send me the address again?|
your package is at the front desk|
good game today, see you at practice on Tuesday|
the heating guy is coming between 9 and 11|
mom says hi and wants to know if you're coming for lunch on Sunday|
remember to take the chicken out of the freezer|
I got us tickets for the 8:15 show|
battery at 5%, if I go quiet that's why|
I booked the table for 7|flight delayed by an hour|boarding now|
landed safely|happy anniversary!|get well soon|thinking of you|
I'll bring dessert|who's driving tonight?|parking is full, I'll be late|
check your email|sent you the photos|the wifi is down again|
call the plumber please|your mom called|don't forget your jacket|
the game is on channel 5|we won 3-1!|I'm at the gym|back in an hour|
can you lend me your charger?|the dog needs a walk|I walked the dog|
pizza or sushi tonight?|my phone is almost dead|sorry I missed your call|
be there in five|almost there|just parked|at the front desk|
how did the exam go?|proud of you|sleep well|good morning!|good night|
remember the doctor's appointment at 3|the printer is out of ink|
can you pick up the kids today?|school closes early today|I'm working late tonight|
don't forget to water the plants|the oven is preheated|I'm cooking pasta|
the concert was amazing|tickets are booked|see you at the airport|
I'm on the 7:15 train|the bus is late|I'll take an uber|
let me know when you're free|hope you feel better|thanks for the ride|
""")

ALARM_LABELS = _items("""
wake up|gym|take medicine|meeting|school run|pick up kids|yoga|morning run|
team standup|dentist|laundry|bus|train|flight|call mom|lunch|nap|study|homework|
piano practice|soccer practice|walk the dog|feed the cat|water plants|bedtime|
prayer|meditation|stretch|check the oven|pasta|tea|coffee|stand up|drink water|
leave for work|catch the ferry|date night|movie|podcast recording|livestream|
trash day|recycling|pay rent|daily review|journal|reading time|power nap|
vitamins|insulin|blood pressure pill|baby feeding|school pickup|work shift|
night shift|early shift|conference call|interview|doctor appointment|haircut|
check the laundry|move the car|feed the baby|evening walk|call grandma|swim|cycling|
choir|standup meeting|start cooking|take out the roast|tea break|pills|snack|
book club|airport run|boarding|pickup|deadline|submit report|
""")

EVENT_TITLES = _items("""
Team sync|Dentist appointment|Lunch with Priya|Project kickoff|Quarterly review|
Yoga class|Parent-teacher conference|Doctor's appointment|Coffee with Sam|Board meeting|
Design review|Sprint planning|Retrospective|Client call|Budget meeting|One-on-one with Alex|
Birthday party|Dinner with the Garcias|Book club|Soccer practice|Piano recital|
Flight to Berlin|Hotel check-in|Conference keynote|Workshop on testing|Job interview|
Car service|Haircut|Vet visit|Movie night|Wedding rehearsal|Graduation ceremony|
Farewell lunch|Hackathon|Product demo|Sales pitch|Training session|Onboarding|
Office hours|Study group|Exam prep|Final exam|Thesis defense|Lab meeting|Guest lecture|
Gym session|Swimming lessons|Tennis match|Marathon|Hiking trip|Camping weekend|
Family reunion|Thanksgiving dinner|Holiday party|New Year's brunch|Baby shower|
Housewarming|Open house|Apartment viewing|Moving day|Plumber visit|Electrician|
Tax appointment|Bank meeting|Lawyer consultation|Volunteer shift|Church service|
Choir practice|Band rehearsal|Concert|Theater show|Art class|Cooking class|
Language exchange|Spanish lesson|Therapy session|Physio|Eye exam|Blood test|
Vaccination|Team lunch|All hands|Town hall|Investor update|Roadmap planning|
Code freeze|Release party|Launch day|Press interview|Podcast recording|Photo shoot|
Date night|Anniversary dinner|Kids' playdate|School play|Science fair|Field trip|
Bake sale|Garage sale|Community meeting|City council meeting|Jury duty|Road trip|
Brunch with Lena|Dinner at Marco's|Strategy offsite|Performance review|Budget sign-off|
Customer workshop|Security training|Fire drill|Pottery class|Salsa lessons|Climbing gym|
Kids' swim meet|Recital rehearsal|Museum visit|Wine tasting|Farmers market|Car inspection|
Passport appointment|Visa interview|Mortgage meeting|House inspection|Furniture delivery|
Internet installation|Dog grooming|Piano tuning|Chess club|Debate practice|
Coding interview|Design sprint|Architecture review|Incident postmortem|Demo day|
""")

BLUETOOTH_DEVICES = _items("""
AirPods Pro|AirPods Max|Sony WH-1000XM5|Sony WF-1000XM4|Bose QuietComfort 45|Bose SoundLink|
JBL Flip 6|JBL Charge 5|JBL Go 3|Beats Studio Buds|Beats Solo 3|Galaxy Buds2 Pro|Pixel Buds|
Jabra Elite 85t|Sennheiser Momentum 4|Anker Soundcore|UE Boom 3|Marshall Emberton|
Sonos Roam|Bang & Olufsen Beoplay|car audio|my car|Toyota Camry|Honda Civic audio|Tesla Model 3|
Ford Sync|kitchen speaker|bedroom speaker|living room soundbar|Samsung soundbar|
LG TV|Fire TV Stick|Apple Watch|Galaxy Watch 6|Fitbit Charge 6|Garmin Forerunner|
Logitech MX Keys|Magic Keyboard|MX Master 3|Xbox controller|PS5 controller|Switch Pro Controller|
Polar H10|Tile tracker|Oura ring|Kindle|hearing aids|Nothing Ear 2|OnePlus Buds|
Shokz OpenRun|Skullcandy Crusher|Audio-Technica M50xBT|Plantronics Voyager|
office headset|gym earbuds|my headphones|my earbuds|dad's speaker|Mia's headphones|
DESKTOP-7H2K|MacBook Pro|ThinkPad X1|iPad Air|Galaxy Tab S9|Bluetooth printer|
Philips Hue bridge|Echo Dot|Nest Mini|bike computer|Wahoo KICKR|treadmill|
Sony SRS-XB43|JBL Tune 510BT|Bose Sport Earbuds|Jabra Evolve2 65|Soundcore Liberty 4|
Galaxy Buds FE|Pixel Watch 2|Amazfit GTR 4|Withings ScanWatch|Xiaomi Mi Band 8|
Kia Sportage|Volkswagen Golf|Mazda CX-5|BMW iDrive|Subaru Outback|my car stereo|
Zoe's earbuds|the garage speaker|the party speaker|Harman Kardon Onyx|Bowers & Wilkins PX7|
Razer Barracuda|SteelSeries Arctis 7|HyperX Cloud|Apple Pencil|Surface Keyboard|
""")

MUSIC_SERVICES = _items("""
Spotify|YouTube Music|Apple Music|Pandora|Deezer|Amazon Music|Tidal|SoundCloud|iHeartRadio|
TuneIn|Qobuz|Audiomack
""")

MUSIC_NAMES = _items("""
Bohemian Rhapsody|Hotel California|Imagine|Billie Jean|Like a Rolling Stone|Hey Jude|
Smells Like Teen Spirit|Wonderwall|Rolling in the Deep|Shape of You|Blinding Lights|
Bad Guy|Levitating|Anti-Hero|Cruel Summer|As It Was|Flowers|Uptown Funk|Happy|
Someone Like You|Halo|Crazy in Love|Toxic|Umbrella|Viva la Vida|Yellow|Clocks|
Mr. Brightside|Seven Nation Army|Take On Me|Africa|Sweet Child O' Mine|Back in Black|
Thunderstruck|Stairway to Heaven|Dream On|Born to Run|Purple Rain|Superstition|
September|Dancing Queen|Mamma Mia|Waterloo|Respect|Lean on Me|What a Wonderful World|
Fly Me to the Moon|Feeling Good|Take Five|So What|Blue in Green|Clair de Lune|
Moonlight Sonata|Four Seasons|Canon in D|Gymnopedie No. 1|Bolero|The Blue Danube|
Despacito|Gasolina|La Bamba|Bailando|Hips Don't Lie|Dynamite|Butter|Gangnam Style|
How You Like That|Lose Yourself|Juicy|Alright|HUMBLE.|Sicko Mode|Hotline Bling|
Old Town Road|Jolene|Ring of Fire|Friends in Low Places|Tennessee Whiskey|
Abbey Road|Thriller|Rumours|Back to Black|Random Access Memories|Kind of Blue|
The Dark Side of the Moon|Nevermind|OK Computer|21|1989|Folklore|Midnights|Renaissance|
Lemonade|To Pimp a Butterfly|Blonde|Currents|Discovery|Graceland|Tapestry|Harvest|
Taylor Swift|Adele|Beyonce|Drake|The Weeknd|Billie Eilish|Ed Sheeran|Coldplay|
Radiohead|Queen|The Beatles|Fleetwood Mac|ABBA|Miles Davis|Nina Simone|Norah Jones|
Bob Marley|Fela Kuti|Burna Boy|Rosalia|Bad Bunny|Shakira|Stromae|Daft Punk|
Hans Zimmer|Ludovico Einaudi|Yo-Yo Ma|Lang Lang|Max Richter|Olafur Arnalds|
Today's Top Hits|RapCaviar|Chill Vibes|Lofi Girl radio|Deep Focus|Peaceful Piano|
Workout Mix|Morning Coffee|Jazz Classics|80s Hits|90s Rock|Indie Folk|Dinner Party|
Sleep Sounds|Rainy Day Jazz|Road Trip Mix|Kids Party|Christmas Classics|Summer Hits|
Coffee House|Acoustic Covers|Beast Mode|Power Ballads|Yacht Rock|Reggae Vibes|
""")

VIDEO_SERVICES = _items("""
YouTube|Netflix|Disney+|Hulu|Prime Video|HBO Max|Max|Apple TV+|Peacock|Paramount+|
Crunchyroll|Twitch|Vimeo|YouTube Kids|Plex
""")

VIDEO_NAMES = _items("""
Stranger Things|The Crown|Bridgerton|Wednesday|The Witcher|Squid Game|Money Heist|
Breaking Bad|Better Call Saul|The Office|Friends|Seinfeld|Parks and Recreation|Brooklyn Nine-Nine|
The Mandalorian|Andor|The Bear|Ted Lasso|Severance|Succession|The Last of Us|House of the Dragon|
Game of Thrones|The Sopranos|Mad Men|Fleabag|Sherlock|Doctor Who|Planet Earth|Our Planet|
Blue Planet II|Cosmos|Chef's Table|Queer Eye|The Great British Bake Off|Top Gear|
Bluey|Peppa Pig|Paw Patrol|SpongeBob SquarePants|Avatar: The Last Airbender|Arcane|
Attack on Titan|One Piece|Demon Slayer|Jujutsu Kaisen|Spirited Away|My Neighbor Totoro|
Frozen|Moana|Encanto|Coco|Inside Out|Toy Story|Finding Nemo|The Lion King|Up|
Inception|Interstellar|Oppenheimer|Barbie|Dune|The Matrix|Star Wars: A New Hope|
The Godfather|Pulp Fiction|Forrest Gump|Titanic|Jurassic Park|Back to the Future|
The Dark Knight|Avengers: Endgame|Spider-Man: Across the Spider-Verse|Black Panther|
Everything Everywhere All at Once|Parasite|La La Land|Mamma Mia!|The Sound of Music|
Home Alone|Elf|The Grinch|Harry Potter and the Philosopher's Stone|The Fellowship of the Ring|
Free Solo|My Octopus Teacher|Tiger King|Making a Murderer|Drive to Survive|
The Last Dance|Cobra Kai|Yellowstone|Reacher|The Boys|Invincible|Fallout|Shogun|
the SpaceX launch|cooking tutorials|yoga for beginners|the news|nature documentaries|
cat videos|lo-fi hip hop radio|the Champions League final|NBA highlights|Mr Beast|
Kurzgesagt|Veritasium|Mark Rober|Markiplier|PewDiePie|TED talks|Sesame Street|
Cocomelon|baby shark dance|Minecraft let's plays|fireplace video|aquarium screensaver|
The Simpsons|Rick and Morty|Bob's Burgers|BoJack Horseman|Only Murders in the Building|
The White Lotus|Mare of Easttown|Chernobyl|Band of Brothers|The Wire|True Detective|
Dark|Lupin|Narcos|Ozark|The Queen's Gambit|Beef|Abbott Elementary|Schitt's Creek|
Downton Abbey|Call the Midwife|Poldark|Vikings|The Expanse|Foundation|Silo|
Gladiator|Casablanca|Amelie|Roma|Pan's Labyrinth|Whiplash|Arrival|Her|Get Out|
Knives Out|The Grand Budapest Hotel|Paddington 2|Shrek|Kung Fu Panda|Ratatouille|WALL-E|
""")

PHOTO_SUBJECTS = _items("""
the sunset|my dog|my cat|this receipt|the whiteboard|the menu|my outfit|the view|
the kids|the cake|my plate|this document|the parking spot|the mountains|the beach|
the flowers|my car|the street|the sky|this painting|the team|the group|the fireworks|
the snow|my new shoes|the bookshelf|the damage|the license plate|the garden|the moon|
""")

SELFIE_COMPANIONS = _items("""
me and my friends|the whole family|us|me and the dog|the team|me and my sister|
me at the beach|me in front of the tower|both of us|the kids and me
""")

ROOMS = _items("""
kitchen|living room|bedroom|hallway|basement|nursery|garage|office|attic|upstairs|downstairs
""")

DOORS = _items("""
front door|back door|door|main door|side door|patio door|apartment door|entrance door|
""")

GUESTS = _items("""
the dog walker|the cleaner|my neighbor|the delivery guy|grandma|the plumber|my friend|the kids
""")

# Language names (as a user writes them) and their ISO 639-1 codes.
LANGUAGES: dict[str, str] = {
    "English": "en",
    "Spanish": "es",
    "French": "fr",
    "German": "de",
    "Italian": "it",
    "Portuguese": "pt",
    "Dutch": "nl",
    "Swedish": "sv",
    "Norwegian": "no",
    "Danish": "da",
    "Finnish": "fi",
    "Polish": "pl",
    "Czech": "cs",
    "Hungarian": "hu",
    "Romanian": "ro",
    "Greek": "el",
    "Turkish": "tr",
    "Russian": "ru",
    "Ukrainian": "uk",
    "Arabic": "ar",
    "Hebrew": "he",
    "Hindi": "hi",
    "Bengali": "bn",
    "Tamil": "ta",
    "Japanese": "ja",
    "Korean": "ko",
    "Chinese": "zh",
    "Vietnamese": "vi",
    "Thai": "th",
    "Indonesian": "id",
    "Malay": "ms",
    "Catalan": "ca",
    "Swahili": "sw",
}

NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()

# Ways of naming a choice value; each template slot names one of these tables.
CAMERA_WORDS = {
    "front": ("front", "front-facing", "selfie", "front facing", "inner"),
    "back": ("back", "rear", "main", "back-facing", "rear-facing", "outer"),
}
MODE_BY = {
    "driving": ("by car", "driving", "in the car", "by driving"),
    "walking": ("on foot", "walking", "by walking"),
    "bicycling": ("by bike", "by bicycle", "cycling", "biking", "on my bike"),
    "transit": ("by public transport", "by bus", "by train", "on the subway", "by transit"),
}
MODE_VERB = {
    "driving": ("drive", "go by car"),
    "walking": ("walk", "go on foot"),
    "bicycling": ("bike", "cycle", "ride my bike"),
    "transit": ("take the bus", "take the train", "take public transport", "take the subway"),
}
MODE_ADJ = {
    "driving": ("driving", "car"),
    "walking": ("walking", "pedestrian"),
    "bicycling": ("cycling", "bike", "bicycle"),
    "transit": ("transit", "public transport", "bus"),
}
VOLUME_WORDS = {
    "ring": ("ring", "ringer", "ringtone", "call"),
    "media": ("media", "music", "media playback", "video"),
    "alarm": ("alarm", "alarm clock"),
}
DND_STATE = {True: ("on", "back on"), False: ("off",)}
DOOR_VERB = {"open": ("unlock", "open"), "lock": ("lock", "secure", "bolt")}

# -------------------------------------------------------------------------- templates
# Fixed arguments: a dict after the text. Slots read the tables above (see data.py).
# The first PINNED_TEMPLATES of each function are its plainest wordings: they always train,
# so holding templates out never takes the canonical phrasing away from the model.

PINNED_TEMPLATES = 3
PINNED_NEAR_MISSES = 12

TEMPLATES: dict[str, tuple[str | tuple[str, dict], ...]] = {
    "take_a_photo": (
        "take a photo with the {camera} camera",
        "take a picture using the {camera} camera",
        "snap a pic with my {camera} camera",
        "can you take a photo with the {camera} camera?",
        "use the {camera} camera to take a picture",
        "{camera} camera, take a photo",
        "I need a photo from the {camera} camera",
        "open the {camera} camera and snap a shot",
        "capture an image with the {camera} lens",
        "grab a quick shot of {subject} with the {camera} camera",
        "take a photo of {subject} using the {camera} camera",
        "photo with {camera} cam please",
        "could you snap a picture on the {camera} camera",
        "would you mind taking a picture with the {camera} camera",
        "I want to take a picture with my {camera} camera",
        "switch to the {camera} camera and take a photo",
        "shoot a photo of {subject} on the {camera} camera",
        ("take a selfie", {"camera": "front"}),
        ("take a selfie for me", {"camera": "front"}),
        ("grab a selfie of {companions}", {"camera": "front"}),
        ("can you take a selfie of me", {"camera": "front"}),
        ("selfie time, take one", {"camera": "front"}),
        ("take a photo", {}),
        ("take a picture of {subject}", {}),
        ("snap a photo", {}),
        ("capture this moment", {}),
        ("take a pic of {subject}", {}),
        ("photograph {subject}", {}),
        ("I want a picture of {subject}", {}),
        ("quick, take a photo of {subject}", {}),
    ),
    "get_trending_news": (
        "what's the latest news on {topic}",
        "get me trending news about {topic}",
        "show me today's headlines about {topic}",
        "any news about {topic}?",
        "latest {topic} news",
        "news on {topic} in {language}",
        "get trending news about {topic} in {language}",
        "show me {language} news about {topic}",
        "find trending stories about {topic}",
        "headlines about {topic}",
        "catch me up on the news about {topic}",
        "search the news for {topic}",
        "top stories on {topic}",
        "fetch the {language} headlines on {topic}",
        "give me the news about {topic} in {language}",
        "read me the latest on {topic}",
        "update me on {topic} news",
        "what's happening with {topic} in the news",
        "I want the latest {topic} headlines",
        "pull up news regarding {topic}",
        "news: {topic}",
        "is there any breaking news about {topic}",
        "show me {topic} news in {language}",
        "in {language}, what are the top headlines about {topic}",
        "what are people saying about {topic} in the news",
        "trending news in {language} about {topic}",
        "brief me on {topic}",
        "any {language} articles on {topic}?",
    ),
    "get_weather_forecast": (
        "what's the weather in {location}",
        "weather forecast for {location}",
        "is it going to rain in {location}",
        "will it snow in {location} this week",
        "how hot will it be in {location} tomorrow",
        "do I need an umbrella in {location} today",
        "{location} weather",
        "what's the forecast looking like for {location}",
        "tell me the weather for {location}",
        "check the weather in {location}",
        "how's the weather in {location}",
        "what temperature is it in {location}",
        "should I pack a jacket for {location}?",
        "weather in {location} this weekend",
        "is it sunny in {location}",
        "give me the forecast for {location}",
        "forecast {location}",
        "I'm flying to {location}, what's the weather like there?",
        "what will the weather be like in {location} tomorrow",
        "how cold is it in {location} right now",
        "any storms expected in {location}?",
        "is it windy in {location} today",
        "look up the forecast for {location}",
        "will I need sunscreen in {location} this afternoon",
        "current conditions in {location}",
        "weather report for {location} please",
        "is it raining in {location} at the moment",
        "what should I wear in {location} today, weather-wise",
        "get the weather forecast for {location}",
    ),
    "send_email": (
        "send an email to {recipient} with the subject {title} saying {content}",
        "email {recipient} subject: {title} body: {content}",
        "write an email to {recipient} titled {title} that says {content}",
        "compose a mail to {recipient}, subject {title}, message {content}",
        'can you email {recipient}? subject "{title}", body: {content}',
        'email {recipient} with subject "{title}" and body "{content}"',
        "new email to {recipient}. title: {title}. content: {content}",
        "send {recipient} an email called {title} saying {content}",
        "please email {recipient}, subject line {title}, and write {content}",
        "draft and send an email to {recipient} - subject: {title} - {content}",
        "I need to email {recipient} about {title}. The message: {content}",
        "fire off an email to {recipient} with subject {title} and the text {content}",
        "mail {recipient} subject {title} message {content}",
        "send an email with subject {title} to {recipient} saying {content}",
        "write to {recipient} by email. Subject: {title}. Message: {content}",
        "send a quick email to {recipient} re: {title}, saying {content}",
        "email {recipient} | {title} | {content}",
        "compose an email for {recipient} with the title {title} and the body {content}",
        "please email {recipient}. The subject is {title} and the message is {content}",
        'put together an email to {recipient}: subject "{title}", body "{content}"',
        "email {recipient} with the heading {title} and write {content}",
        "I want to send {recipient} an email. Subject: {title}. Body: {content}",
        "shoot {recipient} an email, subject {title}: {content}",
        "send mail to {recipient} titled {title} with the content {content}",
        'to {recipient}, subject "{title}": {content} - send that as an email',
        "email {recipient} about {title} and tell them {content}",
    ),
    "search_youtube_videos": (
        "search youtube for {query}",
        "find {query} videos on youtube",
        "look up {query} on youtube",
        "youtube {query}",
        "show me youtube videos about {query}",
        "I want to watch {query} videos on youtube",
        "find me a youtube video on {query}",
        "search for {query} on YouTube",
        "can you pull up {query} on youtube",
        "any good youtube videos about {query}?",
        "youtube search: {query}",
        "look for {query} clips on YouTube",
        "find videos of {query} on youtube please",
        "go on youtube and search {query}",
        "what's on youtube about {query}",
        "open youtube and look up {query}",
        "find a {query} video on YT",
        "search YT for {query}",
        "I'd like to see some youtube videos about {query}",
        "browse youtube for {query}",
        "help me find {query} on youtube",
        "youtube videos on {query}",
        "search the youtube app for {query}",
        "got any youtube results for {query}?",
        "find {query} on youtube for me",
        "check youtube for {query}",
        "pull up some {query} clips on youtube",
    ),
    "find_route_google_maps": (
        "how do I get from {origin} to {destination}",
        "directions from {origin} to {destination}",
        "find a route from {origin} to {destination} {mode_by}",
        "navigate from {origin} to {destination}",
        "show me the way from {origin} to {destination} {mode_by}",
        "what's the best route from {origin} to {destination}?",
        "route to {destination} from {origin}",
        "plan a trip from {origin} to {destination} {mode_by}",
        "I want to {mode_verb} from {origin} to {destination}",
        "how long does it take to {mode_verb} from {origin} to {destination}",
        "google maps from {origin} to {destination}, {mode_by}",
        "get me directions to {destination} starting at {origin}",
        "take me from {origin} to {destination}",
        "{mode_adj} directions from {origin} to {destination}",
        "I'm at {origin}, how do I get to {destination} {mode_by}?",
        "map a {mode_adj} route from {origin} to {destination}",
        "find the fastest way from {origin} to {destination}",
        "how can I {mode_verb} to {destination} from {origin}",
        "open google maps and route me from {origin} to {destination}",
        "what's the quickest {mode_adj} route from {origin} to {destination}",
        "I need to get to {destination} from {origin} {mode_by}",
        "directions please: {origin} to {destination}",
        "show {mode_adj} directions from {origin} to {destination}",
        "help me get from {origin} to {destination} {mode_by}",
        "guide me from {origin} to {destination}",
        "from {origin} to {destination} {mode_by}, which way?",
        "plot a course from {origin} to {destination}",
    ),
    "check_nest_smoke_detector_status": (
        "check the smoke detector",
        "is my smoke detector working?",
        "what's the status of the nest smoke detector",
        "check the nest protect",
        "is the smoke alarm ok",
        "any smoke detected at home?",
        "run a status check on the smoke detector",
        "how's the smoke detector doing",
        "is the smoke alarm in the {room} ok",
        "check the smoke detector in the {room}",
        "is everything fine with the nest smoke alarm",
        "tell me the smoke detector status",
        "did the smoke detector go off?",
        "is there smoke or carbon monoxide in the house",
        "check for smoke alerts",
        "is my nest protect online",
        "smoke detector status please",
        "what does the smoke detector say",
        "can you check if the smoke alarm is working properly",
        "has the smoke alarm detected anything",
        "I smell something burning, check the smoke detector",
        "is the {room} smoke detector battery ok",
        "report the nest protect status",
        "are the smoke detectors all good",
        "give me an update on the smoke alarm",
        "check on the fire alarm",
        "status of my smoke detector",
        "is the house safe? check the smoke detector",
    ),
    "send_text_message": (
        "text {contact} saying {message}",
        "send a text to {contact}: {message}",
        "message {contact} that {message}",
        "send {contact} a text: {message}",
        "sms {contact} {message}",
        "shoot {contact} a text saying {message}",
        "can you text {contact} and say {message}",
        "send an sms to {contact} with the message {message}",
        'text message for {contact}: "{message}"',
        "tell {contact} by text: {message}",
        "send a message to {contact} saying {message}",
        'text {contact} "{message}"',
        "please send {contact} a text message that says {message}",
        "write a text to {contact}: {message}",
        "let {contact} know by text that {message}",
        "drop {contact} a text: {message}",
        "send a quick sms to {contact} - {message}",
        "text to {contact}, message: {message}",
        "could you message {contact} saying {message}",
        "send this to {contact} as a text: {message}",
        "I need to text {contact}. Say {message}",
        "sms to {contact}: {message}",
        "send {contact} the message {message}",
        "text {contact}: {message}",
        "new text message to {contact} that reads {message}",
        "reply to {contact} with {message}",
    ),
    "make_phone_call": (
        "call {phone_number}",
        "dial {phone_number}",
        "give {phone_number} a ring",
        "phone {phone_number}",
        "make a call to {phone_number}",
        "can you call {phone_number} for me",
        "ring {phone_number}",
        "place a call to {phone_number}",
        "I need to call {phone_number} right now",
        "please dial {phone_number}",
        "start a phone call with {phone_number}",
        "call this number: {phone_number}",
        "get {phone_number} on the phone",
        "connect me to {phone_number}",
        "call the number {phone_number}",
        "dial the number {phone_number} please",
        "make a phone call to {phone_number}",
        "can you ring {phone_number}?",
        "I want to call {phone_number}",
        "call {phone_number} on speaker",
        "phone the number {phone_number}",
        "place a phone call to {phone_number} now",
        "{phone_number}, call it",
        "quickly dial {phone_number}",
        "reach out to {phone_number} by phone",
        "call up {phone_number}",
    ),
    "create_contact": (
        "add {name} to my contacts with number {phone_number}",
        "create a contact for {name}, {phone_number}",
        "save {phone_number} as {name}",
        "new contact: {name} {phone_number}",
        "store {name}'s number, it's {phone_number}",
        "make a new contact named {name} with phone {phone_number}",
        "add {name}, phone number {phone_number}, to my address book",
        "create contact {name} with the number {phone_number}",
        "save a new contact: name {name}, number {phone_number}",
        "please add {phone_number} to contacts under {name}",
        "add a contact called {name} whose number is {phone_number}",
        "can you save {name}'s phone number {phone_number}",
        "put {name} in my phone with {phone_number}",
        "I met {name}, their number is {phone_number}, save it",
        "create a new contact: {name}, {phone_number}",
        "add {name} ({phone_number}) to my contacts",
        "contact {name} number {phone_number}, save it",
        "save the number {phone_number} for {name}",
        "remember {name}'s number: {phone_number}",
        "add new contact {name} - {phone_number}",
        "store {phone_number} under the name {name}",
        "create an entry for {name} with phone number {phone_number}",
        "please save {name} as a contact, number {phone_number}",
        "new contact named {name}, phone {phone_number}",
        "add {name} with {phone_number} to my phone book",
        "register {name} as a contact with the number {phone_number}",
        "store {name} in my phone as {phone_number}",
    ),
    "set_timer_alarm": (
        "set an alarm for {time}",
        "wake me up at {time}",
        "alarm at {time}",
        "set an alarm for {time} called {label}",
        "set a {label} alarm for {time}",
        "I need to get up at {time}",
        "can you set my alarm to {time}",
        "set alarm {time} label {label}",
        "please wake me at {time}",
        "alarm for {time} named {label}",
        "make an alarm at {time} and label it {label}",
        "{time} alarm please",
        "set the alarm clock to {time}",
        "get me up at {time}",
        "add an alarm: {time}, {label}",
        "new alarm {time}",
        "create an alarm at {time} with the label {label}",
        "alarm {label} at {time}",
        "set a {time} alarm",
        "could you set an alarm at {time} for {label}",
        "remind me with an alarm at {time} labeled {label}",
        "I want an alarm at {time}",
        "schedule an alarm for {time}",
        "set my alarm for {time} and call it {label}",
        "put an alarm on for {time}",
        "wake-up call at {time} please",
        "alarm at {time}, name it {label}",
        "ring the alarm at {time}",
        "set up a {label} alarm at {time}",
    ),
    "change_screen_brightness": (
        "set brightness to {level}",
        "change the screen brightness to {level}",
        "brightness {level}",
        "make the screen brightness {level}",
        "set the display brightness at level {level}",
        "turn the brightness to {level} out of 10",
        "adjust screen brightness to {level}",
        "can you put the brightness on {level}",
        "I want my screen brightness at {level}",
        "brightness level {level} please",
        "set screen brightness to {percent}",
        "make the screen {percent} bright",
        "turn brightness to {percent}",
        "change display brightness to {percent}",
        "screen at {percent} brightness",
        "dim the screen to {level}",
        "raise the brightness to {level}",
        "lower the screen brightness to {level}",
        "brighten the display to level {level}",
        "please dim the display to {level}",
        "can you dim my screen to {percent}",
        ("max out the brightness", {"level": 10}),
        ("turn the brightness all the way up", {"level": 10}),
        ("full brightness", {"level": 10}),
        ("set brightness to maximum", {"level": 10}),
        ("turn the brightness all the way down", {"level": 0}),
        ("set the brightness to minimum", {"level": 0}),
        ("lowest screen brightness please", {"level": 0}),
        ("half brightness", {"level": 5}),
        ("set the screen to half brightness", {"level": 5}),
    ),
    "create_calendar_event": (
        "schedule {title} on {date} from {start} to {end}",
        "add {title} to my calendar on {date} at {start} for {duration}",
        "create an event called {title} on {date}, {start} to {end}",
        "put {title} in my calendar for {date} between {start} and {end}",
        "book {title} on {date} from {start} until {end}",
        "new calendar event: {title}, {date}, {start} - {end}",
        "set up a meeting titled {title} on {date} starting at {start} and ending at {end}",
        "I have {title} on {date} at {start}, it lasts {duration}",
        "calendar: {title} on {date} {start} to {end}",
        "can you schedule {title} for {date} from {start} to {end}?",
        "create a calendar event for {title} from {start} to {end} on {date}",
        "on {date} I have {title} from {start} to {end}, add it to my calendar",
        "add an event {title} starting {date} at {start} and ending {end_date} at {end}",
        "{title} from {date} at {start} to {end_date} at {end}, put it in the calendar",
        "plan {title} on {date} at {start} for {duration}",
        "schedule a {duration_adj} {title} on {date} at {start}",
        "block my calendar on {date} from {start} to {end} for {title}",
        "add to calendar: {title}, {date}, {start} for {duration}",
        "make a calendar entry named {title} on {date} from {start} to {end}",
        "remember {title} on {date}, {start} until {end}, in my calendar",
        "create the event {title} for {date} at {start}, {duration} long",
        "pencil in {title} on {date} from {start} to {end}",
        "set a calendar event {title} between {start} and {end} on {date}",
        "I'd like to schedule {title} on {date} at {start} lasting {duration}",
        "event {title}: {date}, {start} to {end}",
        "put a {duration_adj} {title} in my calendar on {date} at {start}",
        "schedule {title} from {start} on {date} to {end} on {end_date}",
    ),
    "set_volume": (
        "set the {volume_type} volume to {level}",
        "turn the {volume_type} volume to {level}",
        "{volume_type} volume {level}",
        "change {volume_type} volume to {level} out of 10",
        "make my {volume_type} volume {level}",
        "adjust the {volume_type} volume to {level}",
        "put the {volume_type} volume at {level}",
        "volume for {volume_type}: {level}",
        "I want the {volume_type} volume at {percent}",
        "set {volume_type} volume to {percent}",
        "turn {volume_type} volume up to {level}",
        "turn {volume_type} volume down to {level}",
        "lower the {volume_type} volume to {level}",
        "raise the {volume_type} volume to {level}",
        "can you set the {volume_type} volume on {level}",
        "{volume_type} volume at level {level} please",
        "change the volume of the {volume_type} to {level}",
        "set volume level {level} for {volume_type}",
        "bump the {volume_type} volume to {level}",
        "please make the {volume_type} volume {percent}",
        ("mute the {volume_type} volume", {"level": 0}),
        ("turn the {volume_type} volume all the way down", {"level": 0}),
        ("max out the {volume_type} volume", {"level": 10}),
        ("{volume_type} volume to the max", {"level": 10}),
        ("set the {volume_type} volume to half", {"level": 5}),
        ("turn the {volume_type} volume all the way up", {"level": 10}),
    ),
    "connect_to_bluetooth_device": (
        "connect to {device_name}",
        "pair with {device_name}",
        "connect my phone to {device_name} over bluetooth",
        "bluetooth connect {device_name}",
        "link up with {device_name}",
        "can you pair my {device_name}",
        "connect to the bluetooth device {device_name}",
        "pair {device_name} with a {timeout} timeout",
        "connect to {device_name}, give up after {timeout}",
        "try connecting to {device_name} for {timeout}",
        "hook up {device_name} via bluetooth",
        "please connect {device_name}",
        "connect bluetooth to {device_name} with a timeout of {timeout}",
        "I want to use {device_name}, connect it",
        "pair with {device_name} and wait up to {timeout}",
        "start bluetooth pairing with {device_name}",
        "get {device_name} connected",
        "connect {device_name} now",
        "reconnect to {device_name}",
        "connect to {device_name} with {timeout} timeout",
        "attempt to pair with {device_name} for at most {timeout}",
        "link {device_name} over bluetooth",
        "pair my phone with {device_name}",
        "set up a bluetooth connection with {device_name}",
        "bluetooth: connect {device_name}, timeout {timeout}",
        "could you connect to {device_name} please",
    ),
    "enable_do_not_disturb": (
        "turn {state} do not disturb",
        "switch do not disturb {state}",
        "dnd {state}",
        "turn {state} DND",
        "put do not disturb {state}",
        "set do not disturb to {state}",
        ("enable do not disturb", {"enabled": True}),
        ("activate do not disturb mode", {"enabled": True}),
        ("I don't want to be disturbed", {"enabled": True}),
        ("silence all notifications, I'm in a meeting", {"enabled": True}),
        ("go into do not disturb", {"enabled": True}),
        ("no interruptions for now please", {"enabled": True}),
        ("start do not disturb", {"enabled": True}),
        ("block all notifications", {"enabled": True}),
        ("hold my calls and notifications", {"enabled": True}),
        ("I'm going to sleep, turn on dnd", {"enabled": True}),
        ("disable do not disturb", {"enabled": False}),
        ("deactivate do not disturb mode", {"enabled": False}),
        ("stop do not disturb", {"enabled": False}),
        ("I'm available again, let notifications through", {"enabled": False}),
        ("exit do not disturb", {"enabled": False}),
        ("allow notifications again", {"enabled": False}),
        ("mute my notifications for now", {"enabled": True}),
        ("my meeting is over, turn off dnd", {"enabled": False}),
        ("no notifications please, I'm focusing", {"enabled": True}),
        ("unmute notifications", {"enabled": False}),
        ("cancel do not disturb", {"enabled": False}),
    ),
    "set_nest_temperature": (
        "set the thermostat to {temperature}",
        "make it {temperature} in here",
        "set nest temperature to {temperature}",
        "change the heat to {temperature}",
        "I want the house at {temperature}",
        "turn the AC to {temperature}",
        "adjust the nest to {temperature}",
        "warm it up to {temperature}",
        "cool the house down to {temperature}",
        "thermostat {temperature}",
        "set the temperature to {temperature} please",
        "can you set the nest thermostat at {temperature}",
        "change the target temperature to {temperature}",
        "heat the house to {temperature}",
        "put the thermostat on {temperature}",
        "bring the temperature to {temperature}",
        "I'm cold, set the heating to {temperature}",
        "it's too hot, set the nest to {temperature}",
        "make the living room {temperature}",
        "nest: {temperature}",
        "lower the thermostat to {temperature}",
        "raise the temperature to {temperature}",
        "set the home temperature to {temperature}",
        "keep the house at {temperature}",
        "update the nest setpoint to {temperature}",
        "could you change the thermostat to {temperature}?",
    ),
    "play_music_on_nest_hub": (
        "play {music_name} on {music_service} on the nest hub",
        "on the nest hub, play {music_name} from {music_service}",
        "stream {music_name} from {music_service} on my Nest Hub",
        "use {music_service} to play {music_name} on the nest hub",
        "hey nest hub, play {music_name} on {music_service}",
        "I want to hear {music_name} on the Nest Hub via {music_service}",
        "play some {music_name} on the {room} nest hub using {music_service}",
        "put on {music_name} from {music_service} on the nest hub",
        "nest hub: play {music_name} with {music_service}",
        "can the nest hub play {music_name} from {music_service}?",
        "start {music_name} on {music_service} on the nest hub",
        "queue up {music_name} on the nest hub from {music_service}",
        "on my nest hub play {music_name} through {music_service}",
        "play {music_name} by way of {music_service} on the Nest Hub",
        "blast {music_name} on the nest hub, use {music_service}",
        "I'd like {music_name} playing on the nest hub from {music_service}",
        "listen to {music_name} on the Nest Hub with {music_service}",
        "open {music_service} on the nest hub and play {music_name}",
        "{music_service} on the nest hub: {music_name}",
        "have the nest hub play {music_name} off {music_service}",
        "play the {music_service} track {music_name} on the nest hub",
        "nest hub, start playing {music_name} from {music_service}",
        "play music on the nest hub: {music_name} from {music_service}",
        "could you play {music_name} using {music_service} on the nest hub",
        "crank up {music_name} on the nest hub with {music_service}",
        "on the {room} nest hub, play {music_name} on {music_service}",
    ),
    "play_video_on_nest_hub": (
        "play {video_name} on {video_service} on the nest hub",
        "on the nest hub, play {video_name} from {video_service}",
        "stream {video_name} from {video_service} on my Nest Hub",
        "use {video_service} to play {video_name} on the nest hub",
        "hey nest hub, show {video_name} on {video_service}",
        "I want to watch {video_name} on the Nest Hub via {video_service}",
        "put on {video_name} from {video_service} on the nest hub",
        "nest hub: watch {video_name} with {video_service}",
        "can the nest hub play {video_name} from {video_service}?",
        "start {video_name} on {video_service} on the nest hub",
        "watch {video_name} on the nest hub using {video_service}",
        "on my nest hub play {video_name} through {video_service}",
        "cast {video_name} from {video_service} to the nest hub",
        "show {video_name} on the Nest Hub screen, {video_service}",
        "let's watch {video_name} on {video_service} on the nest hub",
        "open {video_service} on the nest hub and play {video_name}",
        "{video_service} on the nest hub: {video_name}",
        "have the nest hub play {video_name} off {video_service}",
        "play the {video_service} video {video_name} on the nest hub",
        "nest hub, start playing {video_name} from {video_service}",
        "play video on the nest hub: {video_name} from {video_service}",
        "could you stream {video_name} using {video_service} on the nest hub",
        "on the {room} nest hub, put {video_name} on {video_service}",
        "I'd like to see {video_name} on the nest hub from {video_service}",
        "put {video_service} on the nest hub and show {video_name}",
        "watch {video_name} from {video_service} on the hub display",
    ),
    "open_or_lock_door": (
        "{door_verb} the {door}",
        "please {door_verb} the {door}",
        "can you {door_verb} the {door}",
        "{door_verb} my {door} now",
        "I need you to {door_verb} the {door}",
        ("unlock the {door}", {"status": "open"}),
        ("open the {door} for {guest}", {"status": "open"}),
        ("let {guest} in", {"status": "open"}),
        ("let me in, open the {door}", {"status": "open"}),
        ("I'm home, unlock the {door}", {"status": "open"}),
        ("buzz {guest} in through the {door}", {"status": "open"}),
        ("unlock the smart lock", {"status": "open"}),
        ("open up the {door}", {"status": "open"}),
        ("unlock the door, I forgot my keys", {"status": "open"}),
        ("lock the {door}", {"status": "lock"}),
        ("lock up the house", {"status": "lock"}),
        ("make sure the {door} is locked", {"status": "lock"}),
        ("secure the {door} for the night", {"status": "lock"}),
        ("I'm leaving, lock the {door}", {"status": "lock"}),
        ("did I forget to lock up? lock the {door}", {"status": "lock"}),
        ("lock the smart lock", {"status": "lock"}),
        ("close and lock the {door}", {"status": "lock"}),
        ("going to bed, lock the {door}", {"status": "lock"}),
        ("bolt the {door}", {"status": "lock"}),
        ("set the door lock to locked", {"status": "lock"}),
        ("set the door lock to open", {"status": "open"}),
    ),
}

# Queries that fit no function. Near misses first: they share words with real functions
# ("record a video", "turn off bluetooth") and are where the first trial failed.
NEAR_MISS_TEMPLATES: tuple[str, ...] = (
    # The first PINNED_NEAR_MISSES always train: the near misses every model must know.
    "record a video",
    "turn off bluetooth",
    "turn on bluetooth",
    "take a screenshot",
    "turn on wifi",
    "lock my phone",
    "read my latest emails",
    "cancel my {time} alarm",
    "pause the music",
    "is the front door locked?",
    "what's the thermostat set to",
    "what time is it in {city}",
    "record a video with the front camera",
    "start a screen recording",
    "scan this QR code",
    "open my photo gallery",
    "delete the last photo I took",
    "show me my photos from {city}",
    "edit my last picture",
    "share this photo with {first_name}",
    "how do I take better photos at night",
    "any tips for taking photos in low light",
    "disconnect my {device_name}",
    "unpair {device_name}",
    "forget the bluetooth device {device_name}",
    "what bluetooth devices are paired",
    "turn off the wi-fi",
    "enable airplane mode",
    "turn on the flashlight",
    "turn on location services",
    "enable the mobile hotspot",
    "check my battery level",
    "turn on battery saver",
    "enable dark mode",
    "turn on auto brightness",
    "enable night light",
    "make the text bigger",
    "change my wallpaper",
    "lock the screen",
    "turn on vibrate mode",
    "delete the email from {first_name}",
    "check my inbox",
    "mark all emails as read",
    "unsubscribe me from this mailing list",
    "what's my email address",
    "read my texts",
    "any new messages from {first_name}?",
    "read me the last message from {first_name}",
    "delete all my text messages",
    "block {first_name}'s number",
    "delete {first_name} from my contacts",
    "what's {first_name}'s phone number",
    "who called me last",
    "show my missed calls",
    "what's my phone number",
    "turn on call forwarding",
    "set my ringtone to {music_name}",
    "what's on my calendar on {date}?",
    "cancel my meeting on {date}",
    "delete the {event_title} event",
    "what time is my {event_title}",
    "turn off all my alarms",
    "what alarms do I have set",
    "snooze the alarm",
    "start a stopwatch",
    "what time is it",
    "skip this song",
    "what song is this",
    "add {music_name} to my playlist",
    "like this song",
    "stop the video",
    "turn off the nest hub",
    "turn on the living room lights",
    "dim the lights in the {room}",
    "close the blinds",
    "start the robot vacuum",
    "who rang the doorbell",
    "show me the doorbell camera",
    "what's the humidity inside the house",
    "silence the smoke alarm",
    "order a new smoke detector",
    "subscribe to the {topic} newsletter",
    "upload my video to youtube",
    "subscribe to {first_name}'s youtube channel",
    "delete my youtube watch history",
    "where did I park my car",
    "share my location with {first_name}",
    "save {city} as my home address",
    "what's my current address",
    "call an uber to {place}",
    "book a taxi to {place}",
    "book a table for two at {time}",
    "order a pizza",
    "book a flight to {city}",
    "buy tickets for {video_name}",
    "remind me to buy milk",
    "add eggs to my shopping list",
    "how do I send an email with an attachment",
    "what does do not disturb mode do",
    "how does bluetooth work",
    "who invented the telephone",
    "why is the sky blue",
    "how do smoke detectors work",
    "what's the best music streaming service",
    "is it healthy to sleep with the thermostat at {temperature_word}",
    "translate good morning into {language_name}",
)

GENERAL_TEMPLATES: tuple[str, ...] = (
    "what's the capital of {country}",
    "how tall is the Eiffel Tower",
    "tell me a joke",
    "tell me a joke about {animal}",
    "what's {a} plus {b}",
    "what is {a} times {b}",
    "how many days until Christmas",
    "who wrote Pride and Prejudice",
    "what does {word} mean",
    "how do you spell {word}",
    "recommend a book about {topic}",
    "write a short poem about {topic}",
    "tell me a fun fact about {animal}",
    "how many calories are in {food}",
    "what's a good recipe for {food}",
    "how do I cook {food}",
    "when was {city} founded",
    "what's the population of {city}",
    "what language do they speak in {country}",
    "convert {a} miles to kilometers",
    "what's the distance between {city} and {city2}",
    "how old is the universe",
    "what is the meaning of life",
    "who won the World Cup in 2018",
    "explain {topic} in simple terms",
    "what's the difference between a virus and a bacterium",
    "how do I change a flat tire",
    "what should I name my {animal}",
    "how long do {animal} live",
    "are {animal} good pets",
    "give me a workout plan for beginners",
    "how can I sleep better",
    "I'm bored, any ideas?",
    "do you like me",
    "what's your name",
    "how are you today",
    "thank you",
    "good morning",
    "never mind",
    "I love you",
    "sing me a song",
    "flip a coin",
    "how many miles is it from {city} to {city2}",
    "pick a random number between {a} and {b}",
    "what's the square root of {b}",
    "is {a} a prime number",
    "who is the president of {country}",
    "how far is {city} from {city2}",
    "what currency does {country} use",
    "plan a 3 day itinerary for {city}",
    "what are the best restaurants in {city}",
    "help me write a birthday card for {first_name}",
    "summarize the plot of Hamlet",
    "what's the speed of light",
    "how many legs does a spider have",
    "what's the boiling point of water",
    "teach me a word in {language_name}",
    "how do I say thank you in {language_name}",
    "what's trending on twitter",
    "what's trending on tiktok right now",
    "how do magnets work",
    "why do cats purr",
    "what's the tallest mountain in {country}",
    "give me a riddle",
    "what should I cook tonight",
    "suggest a movie to watch",
    "how much water should I drink a day",
    "what's a healthy breakfast",
    "help me with my math homework",
    "what is {a} divided by {b}",
    "how many ounces in a pound",
    "what year did the Berlin wall fall",
    "who painted the Mona Lisa",
    "what's the best way to learn {language_name}",
    "how do I get rid of hiccups",
    "is a tomato a fruit",
    "what's the longest river in the world",
    "write a haiku about {animal}",
    "give me a motivational quote",
    "what do you think about {topic}",
)

COUNTRIES = _items("""
France|Spain|Portugal|Germany|Italy|Japan|Brazil|Canada|Mexico|India|China|Kenya|Nigeria|
Egypt|Australia|New Zealand|Argentina|Chile|Peru|Norway|Sweden|Finland|Poland|Greece|Turkey|
Vietnam|Thailand|Indonesia|Philippines|South Korea|Iceland|Ireland|Morocco|Ghana|Ethiopia|
""")

ANIMALS = _items("""
cats|dogs|octopuses|penguins|elephants|giraffes|owls|dolphins|turtles|rabbits|hamsters|
parrots|wolves|bees|sloths|koalas|otters|foxes|horses|goldfish|
""")

FOODS = _items("""
an avocado|a banana|lasagna|risotto|pad thai|a bagel|pancakes|chicken curry|falafel|sushi|
a croissant|chili con carne|ramen|a burrito|paella|moussaka|dumplings|shakshuka|tiramisu|
""")

WORDS = _items("""
serendipity|ephemeral|ubiquitous|quixotic|onomatopoeia|mellifluous|petrichor|ineffable|
sonder|hygge|saudade|schadenfreude|zeitgeist|ennui|wanderlust|eloquent|paradigm|synergy|
""")

TEMPERATURE_WORDS = ("60 degrees", "65 degrees", "68", "70 degrees", "75")

# Out-of-scope requests at the borders of the function set, drawn as a bank of their own
# (``octopus data --border N``) so adding them leaves the other banks' splits as they were.
# Kinds: actions on the same objects that no function performs, other appliances, other
# apps and settings, remarks that are not commands, trivia, arithmetic, advice and
# creative writing.
BORDER_TEMPLATES: tuple[str, ...] = (
    # actions on the functions' objects that no function performs
    "block {phone}, they keep spamming me",
    "block the number {phone}",
    "add {phone} to my blocked numbers",
    "unblock {first_name}",
    "report {phone} as spam",
    "who does the number {phone} belong to",
    "pause the song",
    "skip to the next track",
    "play the previous song again",
    "stop the music on the nest hub",
    "resume the video",
    "rewind the video by {a} seconds",
    "send ${a} to {first_name} on venmo",
    "pay {first_name} back ${a}",
    "request ${b} from {first_name} on cash app",
    "transfer ${b} to my savings account",
    "edit {first_name}'s contact and add a note",
    "change {first_name}'s photo in my contacts",
    "merge the two contacts named {first_name}",
    "add {first_name} to my favorite contacts",
    "rename the contact {first_name}",
    "turn off my alarm",
    "dismiss the {time} alarm",
    "delete every alarm I have",
    "push my {time} alarm back a bit",
    "read my notifications",
    "clear all my notifications",
    "what notifications did I miss",
    "forward {first_name}'s email to my work address",
    "reply to the last email from {first_name}",
    "archive all the emails from {first_name}",
    "hang up the call",
    "put this call on speaker",
    "redial the last number",
    "decline the incoming call",
    "check my voicemail",
    "mute my microphone",
    "delete the video I just recorded",
    "zoom in with the camera",
    "turn on the camera flash",
    "switch the camera to portrait mode",
    "who is at the front door",
    "move my {event_title} to the following week",
    "invite {first_name} to the {event_title}",
    "stop the timer",
    "how much time is left on my timer",
    "what's the weather been like this past month",
    # other appliances and devices
    "preheat the oven to {oven_temperature}",
    "set the oven to bake at {oven_temperature}",
    "turn off the oven",
    "set the air fryer to {oven_temperature} for {a} minutes",
    "open the blinds in the {room}",
    "close the curtains in the {room}",
    "start the washing machine",
    "how long until the dryer is done",
    "run the dishwasher on eco mode",
    "turn on the baby monitor",
    "is the baby monitor still on",
    "start the robot vacuum in the {room}",
    "send the roomba back to its dock",
    "turn up the tv volume",
    "set the tv volume to {a}",
    "mute the tv",
    "change the tv to channel {a}",
    "turn on the tv in the {room}",
    "turn off the lights in the {room}",
    "set the {room} lights to {a} percent",
    "make the bedroom lamp brighter",
    "turn on the coffee maker",
    "brew me a cup of coffee",
    "turn on the sprinklers",
    "water the garden for {a} minutes",
    "set the fridge to {a} degrees",
    "set the water heater to {oven_temperature}",
    "turn on the space heater in the {room}",
    "turn on the air purifier",
    "start my car",
    "warm up the car before I leave",
    "lock my car",
    "turn on the ceiling fan",
    "heat the hot tub to {a} degrees",
    "turn the speaker in the {room} up",
    # other apps and settings
    "connect to the wi-fi network at the office",
    "forget this wi-fi network",
    "switch on the dark theme",
    "schedule dark mode to turn on every night at {time}",
    "turn on battery saver at {a} percent",
    "enable power saving mode",
    "post this photo on instagram",
    "tweet that I love mondays",
    "update my status on whatsapp",
    "order sushi on doordash",
    "book a hotel in {city}",
    "check my bank balance",
    "pay my credit card bill",
    "open spotify",
    "open the settings app",
    "download {video_name} from netflix",
    "install whatsapp",
    "update all my apps",
    "clear the app cache",
    "change the phone's language to {language_name}",
    "set my keyboard to {language_name}",
    "turn on closed captions",
    "find my phone",
    "turn on auto-rotate",
    "back up my photos to the cloud",
    "translate this page into {language_name}",
    "start a zoom meeting with {first_name}",
    "set my status to away on slack",
    # remarks that are not commands
    "peace out, heading into the movie theater now",
    "I'm boarding now",
    "just landed in {city}",
    "heading home now",
    "good night",
    "see you later",
    "bye for now",
    "thanks, that's all",
    "ok cool",
    "hello there",
    "I'm so tired today",
    "ugh, mondays",
    "I'm running late",
    "I just got home",
    "that's awesome",
    "lol",
    "sorry, wrong button",
    "I'm at the {place} now",
    "my flight to {city} leaves at {time}",
    "{first_name} is coming over at {time}",
    "it's really cold in here",
    "it's so dark in here",
    "this song is great",
    "what a beautiful day",
    "happy birthday to me",
    # trivia
    "who discovered penicillin",
    "what's the largest ocean on earth",
    "how many planets are in the solar system",
    "who was the first person on the moon",
    "what's the chemical symbol for gold",
    "how hot is the surface of the sun",
    "what's the fastest land animal",
    "who is the ceo of tesla",
    "what's the national animal of {country}",
    "when did {country} become independent",
    # arithmetic and conversions
    "what's {a} minus {b}",
    "calculate {a} percent of {b}",
    "what's {b} squared",
    "convert {a} degrees celsius to fahrenheit",
    "how many seconds are in {a} minutes",
    "how many minutes is {b} seconds",
    "what's {a} euros in dollars",
    "split a ${b} bill between {a} people",
    "what's a 20 percent tip on ${b}",
    # advice and how-to
    "how do I fix my wi-fi",
    "what's the best way to study for exams",
    "how can I save more money",
    "tips for a job interview",
    "how do I clean my phone screen",
    "what should I wear to a wedding",
    "how can I stop procrastinating",
    "how do I back up my phone",
    "how do I change my ringtone",
    "what's a good gift for {first_name}",
    "how often should I replace smoke detector batteries",
    "is it safe to charge my phone overnight",
    # creative writing
    "write a story about {animal}",
    "write a limerick about {city}",
    "compose a song about {topic}",
    "come up with a slogan for a coffee shop",
    "write a toast for my brother's wedding",
    "give me a pickup line",
    "write a thank you note to {first_name}",
    "tell me a bedtime story",
    "write a rap about {food}",
    "draft a tweet about {topic}",
)

OVEN_TEMPERATURES = _items("""
350 degrees|375 degrees|400 degrees|425 degrees Fahrenheit|450 F|325|180 celsius|200 degrees C|
""")
